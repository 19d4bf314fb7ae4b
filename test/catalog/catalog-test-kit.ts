import { resolve } from 'node:path';
import { migrate } from '../../src/database/migrator.js';
import { OPS_API_KEY } from '../support/test-app.js';
import { createScratchDatabase } from '../support/test-database.js';

export const OPS = { authorization: `Bearer ${OPS_API_KEY}` };

/** A migrated database of its own: the catalog's listing and seeding need to see exactly their own products. */
export async function migratedScratchDatabase(label: string): Promise<string> {
  const url = await createScratchDatabase(label);
  await migrate(url, resolve('prisma/migrations'));
  return url;
}

let sequence = 0;
/** A product body for `PUT /catalog/products/:reference` (priced in SEK and EUR by default). */
export const aProduct = (overrides: Record<string, unknown> = {}) => ({
  name: 'Trail running shoe',
  type: 'physical',
  taxClass: 'standard',
  prices: [
    { currency: 'SEK', unitPrice: 129_900 },
    { currency: 'EUR', unitPrice: 11_995 },
  ],
  ...overrides,
});

export const uniqueReference = (prefix = 'SKU') => `${prefix}-${Date.now().toString(36)}-${++sequence}`;
