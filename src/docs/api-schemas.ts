import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import type { SchemaObject } from './schema-object.js';
import { STATUS_BY_CODE } from '../common/http-error.filter.js';

/**
 * The answers' JSON schemas, by name, for /docs-json. They are written out here rather than derived from the
 * TypeScript types (Swagger cannot read interfaces); test/docs/openapi-answers.e2e-spec.ts validates real answers
 * against them with ajv, so they cannot drift from what the service sends.
 */
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const int = (example?: number): SchemaObject => ({ type: 'integer', ...(example === undefined ? {} : { example }) });
const str = (example?: string): SchemaObject => ({ type: 'string', ...(example === undefined ? {} : { example }) });
const nullable = (schema: SchemaObject): SchemaObject => ({ ...schema, nullable: true });
/** OpenAPI 3.0 ignores keywords beside a `$ref`: a nullable reference is an `allOf` of one. */
const nullableRef = (name: string): SchemaObject => ({ allOf: [ref(name)], nullable: true });
const dateTime: SchemaObject = { type: 'string', format: 'date-time' };
const ORDER_STATUSES = ['placing', 'needs_attention', 'placed', 'confirmed', 'cancelled', 'failed'];
const KLARNA_ORDER_STATUSES = ['authorized', 'part_captured', 'captured', 'cancelled', 'expired', 'closed'];

const address: SchemaObject = {
  type: 'object',
  additionalProperties: false,
  properties: Object.fromEntries(
    [
      'title',
      'givenName',
      'familyName',
      'email',
      'phone',
      'streetAddress',
      'streetAddress2',
      'postalCode',
      'city',
      'region',
      'country',
      'organizationName',
      'attention',
      'careOf',
    ].map((field) => [field, str()]),
  ),
};

export const API_SCHEMAS: Record<string, SchemaObject> = {
  Error: {
    type: 'object',
    description: 'Every error answer. `code` is stable and machine-readable; `message` is for people.',
    additionalProperties: false,
    required: ['code', 'message'],
    properties: {
      code: { type: 'string', enum: Object.keys(STATUS_BY_CODE), example: 'CART_NOT_FOUND' },
      message: str('Cart not found'),
      errors: {
        type: 'array',
        description: '400 VALIDATION_FAILED: one entry per field (nested fields by path, e.g. billingAddress.email)',
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['field', 'message'],
          properties: { field: str('quantity'), message: str('must not be less than 1'), row: int() },
        },
      },
      correlationId: { type: 'string', description: "Klarna's correlation id, when Klarna refused" },
      details: { description: 'Machine-readable detail of a refusal, e.g. `{ changes }` of CART_CHANGED' },
    },
  },
  OrderLine: {
    type: 'object',
    description: 'A line as Klarna receives it (camelCase). Amounts in minor units, taxRate in basis points.',
    additionalProperties: false,
    required: [
      'type',
      'reference',
      'name',
      'quantity',
      'unitPrice',
      'taxRate',
      'totalAmount',
      'totalDiscountAmount',
      'totalTaxAmount',
    ],
    properties: {
      type: str('physical'),
      reference: str('SHOE-1'),
      name: str('Running shoe'),
      quantity: int(2),
      quantityUnit: str('pcs'),
      unitPrice: int(89900),
      taxRate: int(2500),
      totalAmount: int(179800),
      totalDiscountAmount: int(0),
      totalTaxAmount: int(35960),
      imageUrl: str(),
      productUrl: str(),
    },
  },
  CartItem: {
    type: 'object',
    additionalProperties: false,
    required: [
      'id',
      'reference',
      'name',
      'type',
      'quantity',
      'quantityUnit',
      'unitPrice',
      'taxRate',
      'salesTaxRate',
      'totalDiscountAmount',
      'imageUrl',
      'productUrl',
      'totalAmount',
      'totalTaxAmount',
    ],
    properties: {
      id: { type: 'string', format: 'uuid' },
      reference: str('SHOE-1'),
      name: str('Running shoe'),
      type: str('physical'),
      quantity: int(2),
      quantityUnit: nullable(str()),
      unitPrice: int(89900),
      taxRate: int(2500),
      salesTaxRate: nullable(int()),
      totalDiscountAmount: int(0),
      imageUrl: nullable(str()),
      productUrl: nullable(str()),
      totalAmount: int(179800),
      totalTaxAmount: int(35960),
    },
  },
  SyncError: {
    type: 'object',
    additionalProperties: false,
    required: ['errorCode', 'errorMessages', 'correlationId'],
    properties: {
      errorCode: str('BAD_VALUE'),
      errorMessages: { type: 'array', items: str() },
      correlationId: nullable(str()),
    },
  },
  KlarnaCartState: {
    type: 'object',
    description: 'What the Klarna widget must do after this answer (`action`) and whether Klarna holds this cart.',
    additionalProperties: false,
    required: ['sessionId', 'clientToken', 'expiresAt', 'syncedVersion', 'inSync', 'action', 'syncError'],
    properties: {
      sessionId: str(),
      clientToken: str(),
      expiresAt: dateTime,
      syncedVersion: int(3),
      inSync: { type: 'boolean' },
      action: { type: 'string', enum: ['none', 'load', 'init', 'reauthorize'] },
      syncError: nullableRef('SyncError'),
    },
  },
  CartNotice: {
    type: 'object',
    description: 'Something the server changed in the cart on its own',
    required: ['code'],
    properties: {
      code: {
        type: 'string',
        enum: [
          'ITEM_REMOVED',
          'PRICE_CHANGED',
          'QUANTITY_LIMITED',
          'SHIPPING_METHOD_REMOVED',
          'SHIPPING_FEE_CHANGED',
          'DISCOUNT_CODE_REMOVED',
          'DISCOUNT_CHANGED',
        ],
      },
      itemId: str(),
      reference: { type: 'string', description: 'The line a line notice is about' },
      methodId: { type: 'string', description: 'The shipping method a shipping notice is about' },
      discountCode: { type: 'string', description: 'The code a discount notice is about' },
      reason: {
        type: 'string',
        enum: [
          'unknown_product',
          'not_sold_in_market',
          'unavailable',
          'unknown',
          'expired',
          'not_started',
          'exhausted',
          'min_order',
          'currency',
        ],
      },
      unitPriceBefore: int(),
      unitPrice: int(),
      quantityBefore: int(),
      quantity: int(),
      amountBefore: int(),
      amount: int(),
    },
  },
  Cart: {
    type: 'object',
    additionalProperties: false,
    required: [
      'id',
      'status',
      'version',
      'purchaseCountry',
      'purchaseCurrency',
      'locale',
      'customer',
      'items',
      'orderLines',
      'orderAmount',
      'orderTaxAmount',
      'klarna',
      'notices',
      'shipping',
      'discount',
    ],
    properties: {
      id: { type: 'string', format: 'uuid' },
      status: { type: 'string', enum: ['open', 'checkout', 'placing', 'ordered', 'abandoned'] },
      version: int(4),
      purchaseCountry: str('SE'),
      purchaseCurrency: str('SEK'),
      locale: str('sv-SE'),
      customer: nullable({
        type: 'object',
        additionalProperties: false,
        properties: { billingAddress: address, shippingAddress: address, customer: { type: 'object' } },
      }),
      items: { type: 'array', items: ref('CartItem') },
      orderLines: { type: 'array', items: ref('OrderLine') },
      orderAmount: int(179800),
      orderTaxAmount: int(35960),
      klarna: nullableRef('KlarnaCartState'),
      notices: { type: 'array', items: ref('CartNotice') },
      shipping: nullable({
        type: 'object',
        description: 'The chosen shipping method and its fee for this cart (the shipping_fee order line)',
        additionalProperties: false,
        required: ['methodId', 'name', 'amount', 'taxRate'],
        properties: { methodId: str('se-home'), name: str(), amount: int(4900), taxRate: int(2500) },
      }),
      discount: nullable({
        type: 'object',
        description: 'The applied code and what it takes off (the discount order lines)',
        additionalProperties: false,
        required: ['code', 'amount'],
        properties: { code: str('WELCOME10'), amount: int(17980) },
      }),
    },
  },
  ShippingOptions: {
    type: 'object',
    additionalProperties: false,
    required: ['selected', 'options'],
    properties: {
      selected: nullable(str('se-home')),
      options: {
        type: 'array',
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['methodId', 'name', 'amount', 'regularAmount', 'free', 'taxRate', 'deliveryEstimate', 'selected'],
          properties: {
            methodId: str('se-home'),
            name: str(),
            amount: int(4900),
            regularAmount: int(4900),
            free: { type: 'boolean' },
            taxRate: int(2500),
            deliveryEstimate: nullable(str()),
            selected: { type: 'boolean' },
          },
        },
      },
    },
  },
  KlarnaSession: {
    type: 'object',
    additionalProperties: false,
    required: ['sessionId', 'clientToken', 'paymentMethodCategories', 'expiresAt', 'cartVersion', 'intent'],
    properties: {
      sessionId: str(),
      clientToken: { type: 'string', description: 'For Klarna.Payments.init({ client_token })' },
      paymentMethodCategories: {
        type: 'array',
        items: {
          type: 'object',
          required: ['identifier'],
          properties: {
            identifier: str('klarna'),
            name: str('Pay with Klarna'),
            assetUrls: { type: 'object', properties: { descriptive: str(), standard: str() } },
          },
        },
      },
      expiresAt: dateTime,
      cartVersion: int(2),
      intent: { type: 'string', enum: ['buy', 'tokenize', 'buy_and_tokenize'] },
    },
  },
  Placement: {
    type: 'object',
    description: 'The order made from an authorization (201 the first time, 200 for a repeat)',
    additionalProperties: false,
    required: ['orderId', 'klarnaOrderId', 'status', 'fraudStatus', 'redirectUrl'],
    properties: {
      orderId: { type: 'string', format: 'uuid' },
      klarnaOrderId: nullable(str()),
      status: { type: 'string', enum: ORDER_STATUSES },
      fraudStatus: nullable(str('ACCEPTED')),
      redirectUrl: nullable(str()),
    },
  },
  AuthorizationHeld: {
    type: 'object',
    description:
      '`finalize: false`: the authorization is kept for an order review page; POST /carts/:id/order places it',
    additionalProperties: false,
    required: ['status'],
    properties: { status: { type: 'string', enum: ['authorized'] } },
  },
  CustomerToken: {
    type: 'object',
    additionalProperties: false,
    required: ['tokenId', 'redirectUrl'],
    properties: { tokenId: str(), redirectUrl: nullable(str()) },
  },
  Order: {
    type: 'object',
    additionalProperties: false,
    required: [
      'orderId',
      'klarnaOrderId',
      'status',
      'fraudStatus',
      'redirectUrl',
      'orderAmount',
      'orderTaxAmount',
      'capturedAmount',
      'refundedAmount',
      'remainingAuthorizedAmount',
      'klarnaStatus',
      'expiresAt',
      'purchaseCurrency',
      'orderLines',
      'createdAt',
    ],
    properties: {
      orderId: { type: 'string', format: 'uuid' },
      klarnaOrderId: nullable(str()),
      status: { type: 'string', enum: ORDER_STATUSES },
      fraudStatus: nullable(str('ACCEPTED')),
      redirectUrl: nullable(str()),
      orderAmount: int(179800),
      orderTaxAmount: int(35960),
      capturedAmount: int(0),
      refundedAmount: int(0),
      remainingAuthorizedAmount: int(179800),
      klarnaStatus: { type: 'string', enum: KLARNA_ORDER_STATUSES, nullable: true },
      expiresAt: nullable(dateTime),
      purchaseCurrency: str('SEK'),
      orderLines: { type: 'array', items: ref('OrderLine') },
      createdAt: dateTime,
    },
  },
  Product: {
    type: 'object',
    additionalProperties: false,
    required: [
      'reference',
      'name',
      'type',
      'unitPrice',
      'currency',
      'taxRate',
      'imageUrl',
      'productUrl',
      'maxQuantity',
    ],
    properties: {
      reference: str('SHOE-1'),
      name: str('Running shoe'),
      type: { type: 'string', enum: ['physical', 'digital', 'gift_card'] },
      unitPrice: int(89900),
      currency: str('SEK'),
      taxRate: int(2500),
      salesTaxRate: { type: 'integer', description: 'Sales-tax markets (US) only' },
      imageUrl: nullable(str()),
      productUrl: nullable(str()),
      maxQuantity: int(10),
    },
  },
  ProductPage: {
    type: 'object',
    additionalProperties: false,
    required: ['products', 'nextCursor'],
    properties: { products: { type: 'array', items: ref('Product') }, nextCursor: nullable(str()) },
  },
};

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'VALIDATION_FAILED: `errors` names each field and the reason',
  401: 'UNAUTHORIZED: missing or wrong ops key',
  404: 'Not found (CART_NOT_FOUND, ITEM_NOT_FOUND, NO_KLARNA_SESSION, ORDER_NOT_FOUND, PRODUCT_NOT_FOUND, ...)',
  409: 'Conflict with the cart or order state (CART_LOCKED, CART_EMPTY, ORDER_IN_PROGRESS, CART_CHANGED, ...)',
  422: 'Refused (AUTHORIZATION_INVALID, KLARNA_REJECTED, UNKNOWN_PRODUCT, NOT_SOLD_IN_MARKET, ...)',
  429: 'RATE_LIMITED (with Retry-After)',
  501: 'CATALOG_EXTERNAL: the shop runs its own catalog',
  503: 'Ask again: KLARNA_UNAVAILABLE, SERVICE_UNAVAILABLE, SERVICE_BUSY, SHUTTING_DOWN, CATALOG_UNAVAILABLE',
};

/** The codes each error status of an endpoint may carry, for the document's descriptions. */
export function codesFor(status: number): string[] {
  return Object.entries(STATUS_BY_CODE)
    .filter(([, mapped]) => mapped === status)
    .map(([code]) => code);
}

/**
 * One endpoint's answers for the document: the success status(es) with their schema, and the error statuses
 * (each the Error schema). 429 and 503 are added everywhere: every endpoint may answer them.
 */
export function ApiAnswers(success: Record<number, string>, errors: number[] = []): MethodDecorator {
  // 'A|B': either schema (e.g. an order, or an authorization held for review).
  const decorators = Object.entries(success).map(([status, names]) =>
    ApiResponse({
      status: Number(status),
      description: names.replaceAll('|', ' or '),
      schema: names.includes('|') ? { oneOf: names.split('|').map(ref) } : ref(names),
    }),
  );
  for (const status of [...new Set([...errors, 429, 503])]) {
    decorators.push(
      ApiResponse({
        status,
        description: `${ERROR_DESCRIPTIONS[status] ?? 'Error'}. Codes: ${codesFor(status).join(', ')}`,
        schema: ref('Error'),
      }),
    );
  }
  return applyDecorators(...decorators);
}
