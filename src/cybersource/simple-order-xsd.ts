/**
 * The element order of CyberSource's Simple Order API, as far as this service uses it.
 *
 * Source: CyberSourceTransaction_1.224.xsd, repository CyberSource/cybersource-plugins-salesforceb2ccommerce,
 * cartridges/int_cybersource_sfra/cartridge/webreferences2/ (commit a6174b7), complex types RequestMessage,
 * BillTo, ShipTo, Item, PurchaseTotals, APSessionsService, APAuthService, APAuthReversalService,
 * APCaptureService, APRefundService, APCheckStatusService, ReplyMessage and the AP*Reply types.
 *
 * Every list is a subsequence of the XSD's <xsd:sequence>: the elements we send or read, in the XSD's order
 * (elements we never use are left out; their absence does not change the relative order). The request builder
 * emits elements in this order and the CyberSource simulator refuses a request that does not follow it, as
 * CyberSource's schema validation does. Where CyberSource's guides list fields in another order (FACTS §4
 * puts purchaseTotals' taxAmount before discountAmount), the XSD wins.
 */
export const SIMPLE_ORDER_VERSION = '1.224';
export const SIMPLE_ORDER_NAMESPACE = `urn:schemas-cybersource-com:transaction-data-${SIMPLE_ORDER_VERSION}`;

/** RequestMessage children we use, XSD order. Services (`...Service`) carry the attribute run="true". */
export const REQUEST_MESSAGE = [
  'merchantID',
  'merchantReferenceCode',
  'billTo',
  'shipTo',
  'item',
  'purchaseTotals',
  'apPaymentType',
  'apCheckStatusService',
  'apAuthService',
  'apAuthReversalService',
  'apCaptureService',
  'apRefundService',
  'apSessionsService',
] as const;

export type RequestElement = (typeof REQUEST_MESSAGE)[number];

/** Children of the complex request elements, XSD order. */
export const REQUEST_TYPES = {
  billTo: [
    'title',
    'firstName',
    'lastName',
    'street1',
    'street2',
    'city',
    'district',
    'state',
    'postalCode',
    'country',
    'company',
    'phoneNumber',
    'email',
    'dateOfBirth',
    'language',
    'gender',
  ],
  // ShipTo differs from BillTo: state comes before district here.
  shipTo: [
    'title',
    'firstName',
    'lastName',
    'street1',
    'street2',
    'city',
    'state',
    'district',
    'postalCode',
    'country',
    'company',
    'phoneNumber',
    'email',
  ],
  item: [
    'unitPrice',
    'quantity',
    'productCode',
    'productName',
    'productSKU',
    'taxAmount',
    'totalAmount',
    'discountAmount',
  ],
  purchaseTotals: ['currency', 'discountAmount', 'taxAmount', 'grandTotalAmount'],
  apCheckStatusService: ['apInitiateRequestID', 'reconciliationID', 'checkStatusRequestID', 'sessionsRequestID'],
  apAuthService: ['cancelURL', 'successURL', 'failureURL', 'reconciliationID', 'preapprovalToken'],
  apAuthReversalService: ['authRequestID', 'reconciliationID'],
  apCaptureService: ['authRequestID', 'reconciliationID', 'isFinal'],
  apRefundService: ['captureRequestID', 'refundRequestID', 'reason', 'reconciliationID'],
  apSessionsService: [
    'cancelURL',
    'successURL',
    'failureURL',
    'reconciliationID',
    'sessionsType',
    'sessionsRequestID',
    'paymentMethod_name',
    'paymentFlowMode',
  ],
} as const satisfies Partial<Record<RequestElement, readonly string[]>>;

export type ComplexRequestElement = keyof typeof REQUEST_TYPES;

/** The services this gateway runs (exactly one per request). */
export const AP_SERVICES = [
  'apCheckStatusService',
  'apAuthService',
  'apAuthReversalService',
  'apCaptureService',
  'apRefundService',
  'apSessionsService',
] as const;

export type ApService = (typeof AP_SERVICES)[number];

/** ReplyMessage children we read or write, XSD order (missingField / invalidField repeat). */
export const REPLY_MESSAGE = [
  'merchantReferenceCode',
  'requestID',
  'decision',
  'reasonCode',
  'missingField',
  'invalidField',
  'requestToken',
  'purchaseTotals',
  'apCheckStatusReply',
  'apAuthReply',
  'apSessionsReply',
  'apAuthReversalReply',
  'apCaptureReply',
  'apRefundReply',
] as const;

export type ReplyElement = (typeof REPLY_MESSAGE)[number];

/** Children of the reply types, XSD order. */
export const REPLY_TYPES = {
  purchaseTotals: ['currency', 'grandTotalAmount'],
  apCheckStatusReply: [
    'reasonCode',
    'reconciliationID',
    'paymentStatus',
    'processorResponse',
    'dateTime',
    'expirationDateTime',
  ],
  apAuthReply: ['reasonCode', 'status', 'amount', 'dateTime', 'paymentStatus', 'responseCode', 'reconciliationID'],
  apSessionsReply: ['reasonCode', 'responseCode', 'processorToken', 'amount', 'reconciliationID', 'status', 'dateTime'],
  apAuthReversalReply: [
    'reasonCode',
    'status',
    'amount',
    'dateTime',
    'paymentStatus',
    'responseCode',
    'reconciliationID',
  ],
  apCaptureReply: ['reasonCode', 'status', 'amount', 'dateTime', 'reconciliationID', 'paymentStatus', 'responseCode'],
  apRefundReply: ['reasonCode', 'status', 'amount', 'dateTime', 'reconciliationID', 'paymentStatus', 'responseCode'],
} as const satisfies Partial<Record<ReplyElement, readonly string[]>>;
