/**
 * Reads a signed <requestMessage> the way CyberSource's schema validation would: every element must be one the
 * XSD allows where it stands, in the XSD's order (simple-order-xsd.ts, copied from CyberSourceTransaction_1.224.xsd),
 * services must say run="true". Elements this simulator does not know (valid in the XSD, unused by this service)
 * are refused too: the simulator only claims to understand what the gateway sends.
 */
import { childElements, parseXml, type Fields } from '../cybersource/simple-order-xml.js';
import { REQUEST_MESSAGE, REQUEST_TYPES, type ComplexRequestElement } from '../cybersource/simple-order-xsd.js';
import { SOAP_ENV } from '../cybersource/ws-security.js';

const NAMESPACE = /^urn:schemas-cybersource-com:transaction-data-1\.\d+$/;

export type ReadRequest = { ok: true; fields: Fields; itemCount: number } | { ok: false; problem: string };

/** `signedBody` is the SOAP Body as the signature covers it. */
export function readRequestMessage(signedBody: string): ReadRequest {
  const body = parseXml(signedBody)?.documentElement;
  if (!body || body.localName !== 'Body' || body.namespaceURI !== SOAP_ENV)
    return { ok: false, problem: 'no SOAP Body' };
  const [message, ...others] = childElements(body);
  if (
    !message ||
    others.length > 0 ||
    message.localName !== 'requestMessage' ||
    !NAMESPACE.test(message.namespaceURI ?? '')
  ) {
    return { ok: false, problem: 'the SOAP Body must hold one requestMessage of the transaction-data namespace' };
  }
  const fields: Fields = {};
  let position = -1;
  let itemCount = 0;
  for (const element of childElements(message)) {
    const name = element.localName;
    if (element.namespaceURI !== message.namespaceURI)
      return { ok: false, problem: `element ${name} is in another namespace` };
    const index = (REQUEST_MESSAGE as readonly string[]).indexOf(name);
    if (index < 0) return { ok: false, problem: `element ${name} is not expected in requestMessage` };
    if (index < position || (index === position && name !== 'item')) {
      return { ok: false, problem: `element ${name} is out of the XSD's order in requestMessage` };
    }
    position = index;
    const children = childElements(element);
    if (!(name in REQUEST_TYPES)) {
      if (children.length > 0) return { ok: false, problem: `element ${name} must be text` };
      fields[name] = (element.textContent ?? '').trim();
      continue;
    }
    let prefix = name;
    if (name === 'item') {
      if (element.getAttribute('id') !== String(itemCount))
        return { ok: false, problem: `item ${itemCount} must have id="${itemCount}"` };
      prefix = `item_${itemCount}`;
      itemCount += 1;
    }
    if (name.endsWith('Service')) {
      if (element.getAttribute('run') !== 'true') return { ok: false, problem: `${name} must have run="true"` };
      fields[`${name}_run`] = 'true';
    }
    const order: readonly string[] = REQUEST_TYPES[name as ComplexRequestElement];
    let childPosition = -1;
    for (const child of children) {
      const childIndex = order.indexOf(child.localName);
      if (childIndex < 0) return { ok: false, problem: `element ${child.localName} is not expected in ${name}` };
      if (childIndex <= childPosition)
        return { ok: false, problem: `element ${child.localName} is out of the XSD's order in ${name}` };
      if (childElements(child).length > 0)
        return { ok: false, problem: `element ${name}/${child.localName} must be text` };
      childPosition = childIndex;
      fields[`${prefix}_${child.localName}`] = (child.textContent ?? '').trim();
    }
  }
  return { ok: true, fields, itemCount };
}
