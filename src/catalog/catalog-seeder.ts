import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { Catalog } from './catalog.js';
import { CatalogService } from './catalog.service.js';
import { parseJsonImport } from './import-parser.js';

/** The demo catalog (products priced for SE, DE, GB and US, with tax rates), from src/ and dist/ alike. */
export const DEMO_CATALOG_FILE = fileURLToPath(new URL('../../data/demo-catalog.json', import.meta.url));

/**
 * Development default: with no CATALOG_URL and an empty catalog, start-up fills it with the demo catalog
 * so `npm start` has something to sell, and says so loudly. Production never seeds.
 */
@Injectable()
export class CatalogSeeder implements OnApplicationBootstrap {
  private readonly logger = new Logger(CatalogSeeder.name);

  constructor(
    private readonly config: AppConfig,
    private readonly catalog: Catalog,
    private readonly service: CatalogService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.nodeEnv === 'production' || this.catalog.source !== 'postgres') return;
    try {
      const parsed = parseJsonImport(
        JSON.parse(await readFile(DEMO_CATALOG_FILE, 'utf8')),
        this.config.maxLineQuantity,
      );
      if (!parsed.ok) throw new Error(`the demo catalog is invalid: ${JSON.stringify(parsed.errors)}`);
      const result = await this.service.seedIfEmpty(parsed.batch);
      if (!result) return;
      this.logger.warn(
        { event: 'catalog.demo_seeded', ...result, file: 'data/demo-catalog.json' },
        'The catalog was EMPTY: seeded the DEMO catalog (development only; import your own with npm run catalog:import)',
      );
    } catch (error) {
      // A development convenience must not stop the service (e.g. migrations not applied yet: readiness says so).
      this.logger.error({ event: 'catalog.demo_seed_failed', err: error }, 'Could not seed the demo catalog');
    }
  }
}
