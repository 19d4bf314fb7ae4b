/**
 * Checks request bodies against Klarna's own OpenAPI documents (specs/klarna/) with ajv, compiled once per
 * process. Errors become Klarna-style messages naming the field in snake_case with `[i]` indexes:
 * `Missing field: order_lines`, `Bad value: order_lines[0].quantity`.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

type JsonObject = Record<string, unknown>;

const SPEC_DOCUMENTS = {
  kp: 'payments-v1.openapi.json',
  om: 'ordermanagement-v1.openapi.json',
} as const;

/** The request bodies the simulator validates: schema names as the specs spell them. */
const REQUEST_SCHEMAS = {
  createSession: 'kp#/components/schemas/session_create',
  updateSession: 'kp#/components/schemas/session',
  createOrder: 'kp#/components/schemas/create_order_request',
  createCustomerToken: 'kp#/components/schemas/customer_token_creation_request',
  updateAuthorization: 'om#/components/schemas/Update_authorization',
  captureOrder: 'om#/components/schemas/CaptureObject',
  refundOrder: 'om#/components/schemas/RefundObject',
  appendShippingInfo: 'om#/components/schemas/UpdateShippingInfo',
  updateCustomerDetails: 'om#/components/schemas/UpdateConsumer',
  updateMerchantReferences: 'om#/components/schemas/Update_merchant_references',
} as const;

export type RequestSchema = keyof typeof REQUEST_SCHEMAS;

/** Keywords of OpenAPI 3.0 that are not JSON Schema; they carry no validation (`components` is the wrapper below). */
const OPENAPI_ANNOTATIONS = ['example', 'xml', 'externalDocs', 'discriminator'];
/** KP-SPEC describes the line types in prose only (order_line.type); the simulator enforces that list. */
const KP_ORDER_LINE_TYPES = [
  'physical',
  'discount',
  'shipping_fee',
  'sales_tax',
  'digital',
  'gift_card',
  'store_credit',
  'surcharge',
];

export class SpecValidator {
  private readonly validators: Record<RequestSchema, ValidateFunction>;

  constructor() {
    const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false, validateSchema: false });
    addFormats.default(ajv);
    for (const keyword of [...OPENAPI_ANNOTATIONS, 'components']) ajv.addKeyword({ keyword });
    const documents = { kp: loadSpec(SPEC_DOCUMENTS.kp), om: loadSpec(SPEC_DOCUMENTS.om) };
    patchPaymentsSpec(documents.kp);
    for (const [id, document] of Object.entries(documents)) {
      registerUnknownFormats(ajv, document);
      // Only the components: the rest of an OpenAPI document is not a schema. `$ref`s stay `#/components/...`.
      ajv.addSchema({ $id: id, components: document.components } as JsonObject);
    }
    this.validators = Object.fromEntries(
      Object.entries(REQUEST_SCHEMAS).map(([name, ref]) => [name, ajv.compile({ $ref: ref })]),
    ) as Record<RequestSchema, ValidateFunction>;
  }

  /** Klarna-style messages for every spec violation of `body`; empty when the body conforms. */
  problems(schema: RequestSchema, body: unknown): string[] {
    const validate = this.validators[schema];
    if (validate(body)) return [];
    const messages = new Set<string>();
    for (const error of validate.errors ?? []) messages.add(messageFor(error));
    return [...messages];
  }
}

let shared: SpecValidator | undefined;

/** One validator per process: compiling both specs takes a moment, validating is then cheap. */
export function specValidator(): SpecValidator {
  shared ??= new SpecValidator();
  return shared;
}

function loadSpec(file: string): JsonObject {
  const path = fileURLToPath(new URL(`../../specs/klarna/${file}`, import.meta.url));
  return JSON.parse(readFileSync(path, 'utf8')) as JsonObject;
}

/**
 * Tolerances and gaps of the vendored KP spec: `customer_token_creation_request` requires `description` without
 * declaring it (Klarna docs: a string of at most 255 characters), and `order_line.type` lists its values in prose.
 */
function patchPaymentsSpec(document: JsonObject): void {
  const schemas = (document.components as { schemas: Record<string, { properties: JsonObject }> }).schemas;
  schemas.customer_token_creation_request.properties.description = { type: 'string', maxLength: 255 };
  schemas.order_line.properties.type = { type: 'string', enum: KP_ORDER_LINE_TYPES };
}

/** A `format` ajv-formats does not know is accepted as-is rather than making the spec uncompilable. */
function registerUnknownFormats(ajv: Ajv, document: JsonObject): void {
  const formats = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (node && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if (key === 'format' && typeof value === 'string') formats.add(value);
        else visit(value);
      }
    }
  };
  visit(document.components);
  for (const format of formats) if (!ajv.formats[format]) ajv.addFormat(format, true);
}

function messageFor(error: ErrorObject): string {
  const field = fieldPath(error.instancePath);
  if (error.keyword === 'required') {
    const missing = String((error.params as { missingProperty: string }).missingProperty);
    return `Missing field: ${field ? `${field}.${missing}` : missing}`;
  }
  return `Bad value: ${field || 'request body'}`;
}

/** JSON pointer `/order_lines/0/quantity` -> `order_lines[0].quantity`. */
export function fieldPath(pointer: string): string {
  let path = '';
  for (const raw of pointer.split('/').slice(1)) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^\d+$/.test(segment)) path += `[${segment}]`;
    else path += path ? `.${segment}` : segment;
  }
  return path;
}
