/**
 * Klarna's JavaScript SDK for Klarna Payments (https://x.klarnacdn.net/kp/lib/v1/api.js), the part a checkout page
 * uses. The simulator's stand-in SDK (src/klarna-simulator/sdk) implements the same declarations.
 */
interface KlarnaLoadOptions {
  container: string | HTMLElement;
  payment_method_category: string;
}

interface KlarnaAuthorizeOptions {
  payment_method_category: string;
  /** false: Klarna answers `finalize_required` and the page calls finalize() (not used by this page). */
  auto_finalize?: boolean;
}

interface KlarnaLoadResponse {
  show_form: boolean;
  error?: { invalid_fields?: string[] };
}

interface KlarnaAuthorizeResponse {
  approved: boolean;
  show_form: boolean;
  authorization_token?: string;
  finalize_required?: boolean;
  error?: { invalid_fields?: string[] };
}

/** Data sent with load/authorize: order and customer details the page wants Klarna to see (optional). */
type KlarnaData = Record<string, unknown>;

interface KlarnaPaymentsApi {
  init(options: { client_token: string }): void;
  load(options: KlarnaLoadOptions, callback?: (response: KlarnaLoadResponse) => void): void;
  load(options: KlarnaLoadOptions, data: KlarnaData, callback?: (response: KlarnaLoadResponse) => void): void;
  authorize(options: KlarnaAuthorizeOptions, callback: (response: KlarnaAuthorizeResponse) => void): void;
  authorize(
    options: KlarnaAuthorizeOptions,
    data: KlarnaData,
    callback: (response: KlarnaAuthorizeResponse) => void,
  ): void;
  reauthorize(options: KlarnaAuthorizeOptions, callback: (response: KlarnaAuthorizeResponse) => void): void;
  reauthorize(
    options: KlarnaAuthorizeOptions,
    data: KlarnaData,
    callback: (response: KlarnaAuthorizeResponse) => void,
  ): void;
}

interface Window {
  Klarna?: { Payments: KlarnaPaymentsApi };
  /** Klarna's SDK calls this once it is ready (when the page defines it). */
  klarnaAsyncCallback?: () => void;
}
