/** Klarna's JS SDK, from Klarna's CDN (Klarna Payments web SDK v1). */
export const KLARNA_CDN_SDK_URL = 'https://x.klarnacdn.net/kp/lib/v1/api.js';
/** Where the Klarna simulator serves its stand-in SDK (same API; see src/klarna-simulator/sdk). */
export const SIMULATOR_SDK_PATH = '/_sim/sdk/klarna-payments.js';

/**
 * The script the demo page loads: an explicit KLARNA_SDK_URL wins; a Klarna API host (`api.klarna.com`,
 * `api.playground.klarna.com`, `api-na…`) means Klarna's CDN; any other API URL is the simulator, whose
 * stand-in SDK sits beside its API, so the page's code is the same in both modes.
 */
export function klarnaSdkUrl(klarnaApiUrl: string, configured: string | undefined): string {
  if (configured !== undefined) return configured;
  const host = new URL(klarnaApiUrl).hostname;
  return host === 'klarna.com' || host.endsWith('.klarna.com')
    ? KLARNA_CDN_SDK_URL
    : `${klarnaApiUrl}${SIMULATOR_SDK_PATH}`;
}
