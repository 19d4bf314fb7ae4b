import type { ProductInput, WriteCounts } from './catalog.types.js';

/** What an import changes: new products, products that differ from what is stored, and how many are equal. */
export interface ImportPlan {
  toCreate: ProductInput[];
  toReplace: ProductInput[];
  unchanged: number;
}

/** Products are compared whole (prices in any order, names in any order): equal ones are not written. */
export function planImport(existing: ReadonlyMap<string, ProductInput>, incoming: readonly ProductInput[]): ImportPlan {
  const plan: ImportPlan = { toCreate: [], toReplace: [], unchanged: 0 };
  for (const product of incoming) {
    const stored = existing.get(product.reference);
    if (!stored) plan.toCreate.push(product);
    else if (sameProduct(stored, product)) plan.unchanged += 1;
    else plan.toReplace.push(product);
  }
  return plan;
}

export function countsOf(plan: ImportPlan): WriteCounts {
  return { created: plan.toCreate.length, updated: plan.toReplace.length, unchanged: plan.unchanged };
}

export function sameProduct(a: ProductInput, b: ProductInput): boolean {
  return JSON.stringify(normalized(a)) === JSON.stringify(normalized(b));
}

function normalized(product: ProductInput): unknown[] {
  return [
    product.reference,
    product.name,
    Object.entries(product.names).sort(([x], [y]) => x.localeCompare(y)),
    product.type,
    product.taxClass,
    product.imageUrl,
    product.productUrl,
    product.active,
    product.maxQuantity,
    [...product.prices]
      .sort((x, y) => x.currency.localeCompare(y.currency))
      .map((price) => [price.currency, price.unitPrice]),
  ];
}
