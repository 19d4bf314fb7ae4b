/**
 * Klarna Payments markets: purchase_country -> its only accepted purchase_currency and the locales Klarna
 * accepts there. Source: Klarna docs, "Purchase countries, currencies and locales" (shared/klarna/FACTS.md §6).
 */
export interface KlarnaMarket {
  currency: string;
  locales: readonly string[];
}

export const KLARNA_MARKETS: Readonly<Record<string, KlarnaMarket>> = {
  AU: { currency: 'AUD', locales: ['en-AU'] },
  AT: { currency: 'EUR', locales: ['de-AT', 'en-AT'] },
  BE: { currency: 'EUR', locales: ['nl-BE', 'fr-BE', 'en-BE'] },
  CA: { currency: 'CAD', locales: ['en-CA', 'fr-CA'] },
  CZ: { currency: 'CZK', locales: ['cs-CZ', 'en-CZ'] },
  DK: { currency: 'DKK', locales: ['da-DK', 'en-DK'] },
  FI: { currency: 'EUR', locales: ['fi-FI', 'sv-FI', 'en-FI'] },
  FR: { currency: 'EUR', locales: ['fr-FR', 'en-FR'] },
  DE: { currency: 'EUR', locales: ['de-DE', 'en-DE'] },
  GR: { currency: 'EUR', locales: ['el-GR', 'en-GR'] },
  HU: { currency: 'HUF', locales: ['hu-HU', 'en-HU'] },
  IE: { currency: 'EUR', locales: ['en-IE'] },
  IT: { currency: 'EUR', locales: ['it-IT', 'en-IT'] },
  MX: { currency: 'MXN', locales: ['en-MX', 'es-MX'] },
  NL: { currency: 'EUR', locales: ['nl-NL', 'en-NL'] },
  NZ: { currency: 'NZD', locales: ['en-NZ'] },
  NO: { currency: 'NOK', locales: ['nb-NO', 'en-NO'] },
  PL: { currency: 'PLN', locales: ['pl-PL', 'en-PL'] },
  PT: { currency: 'EUR', locales: ['pt-PT', 'en-PT'] },
  RO: { currency: 'RON', locales: ['ro-RO', 'en-RO'] },
  SK: { currency: 'EUR', locales: ['sk-SK', 'en-SK'] },
  ES: { currency: 'EUR', locales: ['es-ES', 'en-ES'] },
  SE: { currency: 'SEK', locales: ['sv-SE', 'en-SE'] },
  CH: { currency: 'CHF', locales: ['de-CH', 'fr-CH', 'it-CH', 'en-CH'] },
  GB: { currency: 'GBP', locales: ['en-GB'] },
  US: { currency: 'USD', locales: ['en-US', 'es-US'] },
};

/** Markets where tax is not per line but one `sales_tax` line (Klarna's US tax model). */
export const SALES_TAX_MARKETS: ReadonlySet<string> = new Set(['US']);

export type MarketProblem = 'purchase_country' | 'purchase_currency' | 'locale';

/** The first field of the combination Klarna would refuse, or undefined when Klarna accepts it. */
export function checkMarket(country: string, currency: string, locale: string): MarketProblem | undefined {
  const market = KLARNA_MARKETS[country];
  if (!market) return 'purchase_country';
  if (market.currency !== currency) return 'purchase_currency';
  if (!market.locales.includes(locale)) return 'locale';
  return undefined;
}
