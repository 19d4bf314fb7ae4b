/** An amount in one currency, in minor units (the shape of prices, thresholds and fixed discounts). */
export interface MoneyAmount {
  currency: string;
  amount: number;
}

/** The amount for `currency` in a list of per-currency amounts; undefined when the list has none. */
export function amountIn(amounts: readonly MoneyAmount[], currency: string): number | undefined {
  return amounts.find((entry) => entry.currency === currency)?.amount;
}
