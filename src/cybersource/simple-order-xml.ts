/**
 * The Simple Order API's typed XML: requests built in the XSD's element order (simple-order-xsd.ts), replies
 * read into flat name-value pairs named as CyberSource's documents name them (`apSessionsReply_processorToken`,
 * `item_0_unitPrice`). xmlbuilder2 writes, @xmldom/xmldom (the DOM xml-crypto works on) reads.
 */
import { DOMParser } from '@xmldom/xmldom';
import { create } from 'xmlbuilder2';
import {
  REPLY_MESSAGE,
  REPLY_TYPES,
  REQUEST_MESSAGE,
  REQUEST_TYPES,
  SIMPLE_ORDER_NAMESPACE,
  type ComplexRequestElement,
  type ReplyElement,
} from './simple-order-xsd.js';

export type Fields = Record<string, string>;

/** One request: top-level leaves, complex elements as field maps, `item` as a list. Services get run="true". */
export interface SimpleOrderRequest {
  merchantID: string;
  merchantReferenceCode: string;
  billTo?: Fields;
  shipTo?: Fields;
  item?: Fields[];
  purchaseTotals?: Fields;
  apPaymentType?: string;
  apCheckStatusService?: Fields;
  apAuthService?: Fields;
  apAuthReversalService?: Fields;
  apCaptureService?: Fields;
  apRefundService?: Fields;
  apSessionsService?: Fields;
}

/** The <requestMessage> element, children in XSD order; a field the XSD list does not name is a bug here. */
export function requestMessageXml(request: SimpleOrderRequest): string {
  const message = create().ele(SIMPLE_ORDER_NAMESPACE, 'requestMessage');
  const known = new Set<string>(REQUEST_MESSAGE);
  for (const key of Object.keys(request)) {
    if (!known.has(key)) throw new Error(`requestMessage has no element ${key} in simple-order-xsd.ts`);
  }
  for (const name of REQUEST_MESSAGE) {
    const value = request[name];
    if (value === undefined) continue;
    if (typeof value === 'string') {
      message.ele(name).txt(value);
    } else if (Array.isArray(value)) {
      value.forEach((fields, index) => {
        const element = message.ele(name, { id: String(index) });
        addChildren(element, name as ComplexRequestElement, fields);
      });
    } else {
      const element = message.ele(name, name.endsWith('Service') ? { run: 'true' } : {});
      addChildren(element, name as ComplexRequestElement, value);
    }
  }
  return message.toString({ prettyPrint: false });
}

function addChildren(element: ReturnType<typeof create>, type: ComplexRequestElement, fields: Fields): void {
  const order: readonly string[] = REQUEST_TYPES[type];
  for (const key of Object.keys(fields)) {
    if (!order.includes(key)) throw new Error(`${type} has no element ${key} in simple-order-xsd.ts`);
  }
  for (const name of order) {
    if (fields[name] !== undefined) element.ele(name).txt(fields[name]);
  }
}

/** Name-value form of a request (`billTo_country`, `item_0_unitPrice`, `apAuthService_run`), for logs and tests. */
export function flattenRequest(request: SimpleOrderRequest): Fields {
  const flat: Fields = {};
  for (const [name, value] of Object.entries(request) as [string, string | Fields | Fields[]][]) {
    if (typeof value === 'string') flat[name] = value;
    else if (Array.isArray(value))
      value.forEach((item, i) => Object.entries(item).forEach(([k, v]) => (flat[`${name}_${i}_${k}`] = v)));
    else {
      if (name.endsWith('Service')) flat[`${name}_run`] = 'true';
      Object.entries(value).forEach(([k, v]) => (flat[`${name}_${k}`] = v));
    }
  }
  return flat;
}

/** A reply: the top-level decision, the fields CyberSource names as missing or invalid, and every other leaf. */
export interface SimpleOrderReply {
  requestID: string;
  decision: string;
  reasonCode: number;
  missingFields: string[];
  invalidFields: string[];
  /** Flat: `merchantReferenceCode`, `requestToken`, `apAuthReply_status`, `purchaseTotals_currency`... */
  fields: Fields;
}

/** Reads the <replyMessage> inside a SOAP Body (any namespace version: the reply echoes the request's). */
export function readReplyMessage(replyMessage: Element): SimpleOrderReply {
  const fields: Fields = {};
  const missingFields: string[] = [];
  const invalidFields: string[] = [];
  for (const element of childElements(replyMessage)) {
    const name = element.localName;
    const children = childElements(element);
    if (name === 'missingField') missingFields.push(text(element));
    else if (name === 'invalidField') invalidFields.push(text(element));
    else if (children.length === 0) fields[name] = text(element);
    else for (const leaf of children) fields[`${name}_${leaf.localName}`] = text(leaf);
  }
  return {
    requestID: fields.requestID ?? '',
    decision: fields.decision ?? '',
    reasonCode: Number(fields.reasonCode),
    missingFields,
    invalidFields,
    fields,
  };
}

/** The reply as CyberSource writes it: ReplyMessage order, prefix `c:` (what the simulator answers). */
export function replyMessageXml(reply: {
  merchantReferenceCode?: string;
  requestID: string;
  decision: string;
  reasonCode: number;
  missingFields?: string[];
  invalidFields?: string[];
  requestToken: string;
  sections?: Partial<Record<ReplyElement, Fields>>;
}): string {
  const message = create().ele(SIMPLE_ORDER_NAMESPACE, 'c:replyMessage');
  const leaves: Partial<Record<ReplyElement, string | string[]>> = {
    merchantReferenceCode: reply.merchantReferenceCode,
    requestID: reply.requestID,
    decision: reply.decision,
    reasonCode: String(reply.reasonCode),
    missingField: reply.missingFields,
    invalidField: reply.invalidFields,
    requestToken: reply.requestToken,
  };
  for (const name of REPLY_MESSAGE) {
    const leaf = leaves[name];
    if (Array.isArray(leaf)) leaf.forEach((value) => message.ele(`c:${name}`).txt(value));
    else if (leaf !== undefined) message.ele(`c:${name}`).txt(leaf);
    const section = reply.sections?.[name];
    if (!section) continue;
    const element = message.ele(`c:${name}`);
    const order: readonly string[] = REPLY_TYPES[name as keyof typeof REPLY_TYPES] ?? [];
    for (const child of order) if (section[child] !== undefined) element.ele(`c:${child}`).txt(section[child]);
  }
  return message.toString({ prettyPrint: false });
}

export function parseXml(xml: string): Document | undefined {
  let failed = false;
  let document: Document;
  try {
    document = new DOMParser({
      errorHandler: (level: string) => {
        if (level !== 'warning') failed = true;
      },
    }).parseFromString(xml, 'text/xml') as unknown as Document;
  } catch {
    return undefined;
  }
  return failed || !document?.documentElement ? undefined : document;
}

export function childElements(parent: Element): Element[] {
  const elements: Element[] = [];
  for (let node = parent.firstChild; node; node = node.nextSibling) {
    if (node.nodeType === 1) elements.push(node as Element);
  }
  return elements;
}

function text(element: Element): string {
  return (element.textContent ?? '').trim();
}
