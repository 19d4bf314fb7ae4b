import { describe, expect, it } from '@jest/globals';
import { generateThrowawayP12 } from '../cybersource-simulator/throwaway-p12.js';
import { readMerchantP12 } from './merchant-certificate.js';
import { signedEnvelope, verifyEnvelope } from './ws-security.js';

const BODY =
  '<requestMessage xmlns="urn:schemas-cybersource-com:transaction-data-1.224"><merchantID>shop_one</merchantID><merchantReferenceCode>cart-1</merchantReferenceCode></requestMessage>';

describe('WS-Security with the merchant P12', () => {
  const merchant = generateThrowawayP12('shop_one', 'p12-password');
  const credentials = readMerchantP12(merchant.p12, 'p12-password');

  it('reads the key and the certificate issued for the merchant id from the P12', () => {
    expect(credentials.commonName).toBe('shop_one');
    expect(credentials.certificatePem).toBe(merchant.certificatePem);
    expect(() => readMerchantP12(merchant.p12, 'wrong')).toThrow('cannot be read');
  });

  it('signs the Body with exclusive C14N, RSA-SHA256 and a SHA-256 digest, and the signature verifies', () => {
    const envelope = signedEnvelope(BODY, credentials);
    expect(envelope).toContain('Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"');
    expect(envelope).toContain('Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"');
    expect(envelope).toContain('Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"');
    expect(envelope).toContain('<ds:Reference URI="#Body">');
    expect(envelope).toContain(`wsu:Id="X509Token">${credentials.certificateBase64}</wsse:BinarySecurityToken>`);
    expect(envelope).toContain('<wsse:Reference URI="#X509Token"');
    const check = verifyEnvelope(envelope, merchant.certificatePem);
    expect(check).toMatchObject({ valid: true });
    expect(check.valid && check.signedBody).toContain('<merchantReferenceCode>cart-1</merchantReferenceCode>');
  });

  it('refuses a Body changed after signing', () => {
    const tampered = signedEnvelope(BODY, credentials).replace('cart-1', 'cart-2');
    expect(verifyEnvelope(tampered, merchant.certificatePem)).toEqual({
      valid: false,
      reason: 'signature does not verify',
    });
  });

  it('refuses a signature made with another key, even when it carries the expected certificate', () => {
    const other = readMerchantP12(generateThrowawayP12('shop_one', 'x').p12, 'x');
    const forged = signedEnvelope(BODY, { ...other, certificateBase64: credentials.certificateBase64 });
    expect(verifyEnvelope(forged, merchant.certificatePem)).toMatchObject({ valid: false });
    expect(verifyEnvelope(signedEnvelope(BODY, other), merchant.certificatePem)).toEqual({
      valid: false,
      reason: 'unknown certificate',
    });
  });

  it('refuses an envelope without a signature', () => {
    const unsigned = signedEnvelope(BODY, credentials).replace(/<ds:Signature[\s\S]*<\/ds:Signature>/, '');
    expect(verifyEnvelope(unsigned, merchant.certificatePem)).toEqual({
      valid: false,
      reason: 'no BinarySecurityToken or Signature',
    });
  });
});
