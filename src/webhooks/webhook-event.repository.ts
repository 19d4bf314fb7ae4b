import { Injectable } from '@nestjs/common';
import { rowsOf, type Db } from '../database/sql.js';
import { Prisma } from '../generated/prisma/client.js';

/** The only code that touches WebhookEvent. */
@Injectable()
export class WebhookEventRepository {
  /**
   * Stores a delivery once per dedupe key. Returns false when an earlier delivery with this key was already
   * processed (a duplicate); an earlier one that failed is processed again.
   */
  async receive(db: Db, kind: string, dedupeKey: string, payload: Prisma.InputJsonValue): Promise<boolean> {
    const [row] = await rowsOf<{ processed: boolean }>(
      db,
      Prisma.sql`
      INSERT INTO webhook_event (id, kind, dedupe_key, payload)
      VALUES (gen_random_uuid(), ${kind}, ${dedupeKey}, ${JSON.stringify(payload)}::jsonb)
      ON CONFLICT (dedupe_key) DO UPDATE SET error = webhook_event.error
      RETURNING processed_at IS NOT NULL AS processed`,
    );
    return !row.processed;
  }

  async markProcessed(db: Db, dedupeKey: string, error?: string): Promise<void> {
    await rowsOf(
      db,
      error === undefined
        ? Prisma.sql`UPDATE webhook_event SET processed_at = now(), error = NULL WHERE dedupe_key = ${dedupeKey}`
        : Prisma.sql`UPDATE webhook_event SET error = ${error} WHERE dedupe_key = ${dedupeKey}`,
    );
  }
}
