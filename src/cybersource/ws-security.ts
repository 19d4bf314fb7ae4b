/**
 * WS-Security for the Simple Order API's SOAP toolkit mode with a P12 certificate, as CyberSource's own
 * toolkits do it since the transaction-key cutoff (FACTS §5; cybersource-soap-toolkit SecurityUtility.php):
 * a BinarySecurityToken carrying the merchant's X.509 certificate and an XML signature over the SOAP Body,
 * exclusive C14N, RSA-SHA256, SHA-256 digest, the key referenced through a SecurityTokenReference.
 * The signature itself is xml-crypto's; this file only places it.
 */
import { SignedXml } from 'xml-crypto';
import type { MerchantCredentials } from './merchant-certificate.js';
import { parseXml } from './simple-order-xml.js';

export const SOAP_ENV = 'http://schemas.xmlsoap.org/soap/envelope/';
export const WSSE = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd';
export const WSU = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd';
const DS = 'http://www.w3.org/2000/09/xmldsig#';
const X509V3 = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3';
const BASE64_BINARY = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary';

export const EXCLUSIVE_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
export const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
export const SHA256 = 'http://www.w3.org/2001/04/xmlenc#sha256';

const BODY_ID = 'Body';
const TOKEN_ID = 'X509Token';

/** A SOAP 1.1 envelope around `bodyXml` (one element), signed with the merchant's P12 identity. */
export function signedEnvelope(bodyXml: string, credentials: MerchantCredentials): string {
  const envelope =
    `<soap:Envelope xmlns:soap="${SOAP_ENV}" xmlns:wsu="${WSU}">` +
    `<soap:Header><wsse:Security xmlns:wsse="${WSSE}" soap:mustUnderstand="1">` +
    `<wsse:BinarySecurityToken EncodingType="${BASE64_BINARY}" ValueType="${X509V3}" wsu:Id="${TOKEN_ID}">` +
    `${credentials.certificateBase64}</wsse:BinarySecurityToken>` +
    `</wsse:Security></soap:Header>` +
    `<soap:Body wsu:Id="${BODY_ID}">${bodyXml}</soap:Body></soap:Envelope>`;
  const signature = new SignedXml({
    privateKey: credentials.privateKeyPem,
    idMode: 'wssecurity',
    canonicalizationAlgorithm: EXCLUSIVE_C14N,
    signatureAlgorithm: RSA_SHA256,
    getKeyInfoContent: () =>
      `<wsse:SecurityTokenReference><wsse:Reference URI="#${TOKEN_ID}" ValueType="${X509V3}"/></wsse:SecurityTokenReference>`,
  });
  signature.addReference({
    xpath: `/*[local-name()='Envelope']/*[local-name()='Body' and namespace-uri()='${SOAP_ENV}']`,
    transforms: [EXCLUSIVE_C14N],
    digestAlgorithm: SHA256,
  });
  signature.computeSignature(envelope, {
    prefix: 'ds',
    location: { reference: `//*[local-name()='Security' and namespace-uri()='${WSSE}']`, action: 'append' },
    existingPrefixes: { wsse: WSSE, soap: SOAP_ENV, wsu: WSU },
  });
  return signature.getSignedXml();
}

export type SignatureCheck =
  { valid: true; signedBody: string; certificateBase64: string } | { valid: false; reason: string };

/**
 * Verifies a signed envelope against the certificate we expect (the merchant's, configured out of band):
 * the BinarySecurityToken must be that certificate, the signature must use the algorithms above, verify with
 * its key, and cover the SOAP Body. Returns the Body as it was signed (xml-crypto's canonical copy), so a
 * caller never reads an element the signature does not cover (signature wrapping).
 */
export function verifyEnvelope(xml: string, expectedCertificatePem: string): SignatureCheck {
  const document = parseXml(xml);
  if (!document) return { valid: false, reason: 'not well-formed XML' };
  const root = document.documentElement;
  if (!root || root.localName !== 'Envelope' || root.namespaceURI !== SOAP_ENV)
    return { valid: false, reason: 'not a SOAP 1.1 envelope' };
  const header = child(root, SOAP_ENV, 'Header');
  const body = child(root, SOAP_ENV, 'Body');
  const security = header && child(header, WSSE, 'Security');
  if (!body || !security) return { valid: false, reason: 'no WS-Security header' };
  const token = child(security, WSSE, 'BinarySecurityToken');
  const signatureNode = child(security, DS, 'Signature');
  if (!token || !signatureNode) return { valid: false, reason: 'no BinarySecurityToken or Signature' };
  const certificateBase64 = (token.textContent ?? '').replace(/\s+/g, '');
  if (certificateBase64 !== pemBody(expectedCertificatePem)) return { valid: false, reason: 'unknown certificate' };

  const verifier = new SignedXml({ publicCert: expectedCertificatePem, idMode: 'wssecurity' });
  try {
    verifier.loadSignature(signatureNode);
    if (verifier.canonicalizationAlgorithm !== EXCLUSIVE_C14N || verifier.signatureAlgorithm !== RSA_SHA256) {
      return { valid: false, reason: 'unexpected signature algorithms' };
    }
    const references = verifier.getReferences();
    const bodyId = body.getAttributeNS(WSU, 'Id');
    if (
      references.length !== 1 ||
      references[0].uri !== `#${bodyId}` ||
      references[0].digestAlgorithm !== SHA256 ||
      references[0].transforms.some((transform) => transform !== EXCLUSIVE_C14N)
    ) {
      return { valid: false, reason: 'the signature does not cover the SOAP Body' };
    }
    if (!verifier.checkSignature(xml)) return { valid: false, reason: 'signature does not verify' };
    const [signedBody] = verifier.getSignedReferences();
    if (!signedBody) return { valid: false, reason: 'the signature does not cover the SOAP Body' };
    return { valid: true, signedBody, certificateBase64 };
  } catch (error) {
    return { valid: false, reason: `signature does not verify: ${(error as Error).message}` };
  }
}

function child(parent: Element, namespace: string, localName: string): Element | undefined {
  for (let node = parent.firstChild; node; node = node.nextSibling) {
    const element = node as Element;
    if (node.nodeType === 1 && element.localName === localName && element.namespaceURI === namespace) return element;
  }
  return undefined;
}

function pemBody(pem: string): string {
  return pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
}
