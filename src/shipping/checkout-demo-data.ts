import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { flattenValidationErrors } from '../common/validation.js';

/** Demo shipping methods (two per demo market) and discount codes, from src/ and dist/ alike. */
export const DEMO_CHECKOUT_FILE = fileURLToPath(new URL('../../data/demo-checkout.json', import.meta.url));

/** One list of the demo file, each entry checked by the DTO the operations endpoint uses. */
export async function readDemoList<T extends object>(
  key: 'shippingMethods' | 'discountCodes',
  dto: new () => T,
): Promise<(T & Record<string, unknown>)[]> {
  const file = JSON.parse(await readFile(DEMO_CHECKOUT_FILE, 'utf8')) as Record<string, Record<string, unknown>[]>;
  return file[key].map((entry, index) => {
    const { id: _id, code: _code, ...body } = entry;
    const errors = flattenValidationErrors(
      validateSync(plainToInstance(dto, body), { whitelist: true, forbidNonWhitelisted: true }),
    );
    if (errors.length > 0) throw new Error(`data/demo-checkout.json ${key}[${index}]: ${JSON.stringify(errors)}`);
    return { ...plainToInstance(dto, body), ...entry } as T & Record<string, unknown>;
  });
}
