export interface DemoMarket {
  country: string;
  currency: string;
  locale: string;
  label: string;
}

export interface StorefrontConfig {
  klarnaSdkUrl: string;
  markets: readonly DemoMarket[];
}

/** The markets the demo catalog (data/demo-catalog.json) prices. */
export const DEMO_MARKETS: readonly DemoMarket[] = [
  { country: 'SE', currency: 'SEK', locale: 'sv-SE', label: 'Sweden (SEK)' },
  { country: 'DE', currency: 'EUR', locale: 'de-DE', label: 'Germany (EUR)' },
  { country: 'GB', currency: 'GBP', locale: 'en-GB', label: 'United Kingdom (GBP)' },
  { country: 'US', currency: 'USD', locale: 'en-US', label: 'United States (USD)' },
];
