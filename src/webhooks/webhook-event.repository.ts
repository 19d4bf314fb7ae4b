import { Injectable } from '@nestjs/common';
import type { PrismaTransaction } from '../database/prisma.service.js';
import type { Prisma } from '../generated/prisma/client.js';

/** The only code that touches WebhookEvent. */
@Injectable()
export class WebhookEventRepository {
  /**
   * Stores a delivery once per dedupe key. Returns false when an earlier delivery with this key was already
   * processed (a duplicate); an earlier one that failed is processed again.
   */
  async receive(
    db: PrismaTransaction,
    kind: string,
    dedupeKey: string,
    payload: Prisma.InputJsonValue,
  ): Promise<boolean> {
    const [row] = await db.$queryRaw<{ processed: boolean }[]>`
      INSERT INTO webhook_event (id, kind, dedupe_key, payload)
      VALUES (gen_random_uuid(), ${kind}, ${dedupeKey}, ${JSON.stringify(payload)}::jsonb)
      ON CONFLICT (dedupe_key) DO UPDATE SET error = webhook_event.error
      RETURNING processed_at IS NOT NULL AS processed`;
    return !row.processed;
  }

  async markProcessed(db: PrismaTransaction, dedupeKey: string, error?: string): Promise<void> {
    await db.webhookEvent.update({
      where: { dedupeKey },
      data: error === undefined ? { processedAt: new Date(), error: null } : { error },
    });
  }
}
