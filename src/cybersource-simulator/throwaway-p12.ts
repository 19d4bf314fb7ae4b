import { generateKeyPairSync, randomBytes } from 'node:crypto';
import forge from 'node-forge';

export interface ThrowawayP12 {
  /** The PKCS#12 file's bytes, as CyberSource's Business Center would hand them out. */
  p12: Buffer;
  password: string;
  /** The certificate the CyberSource simulator is configured to accept. */
  certificatePem: string;
}

/**
 * A self-signed merchant certificate and key in a PKCS#12 file, for tests and the offline sandbox: never a real
 * CyberSource credential. The key pair comes from node:crypto (fast), the certificate and the P12 from node-forge.
 */
export function generateThrowawayP12(merchantId: string, password = randomBytes(12).toString('hex')): ThrowawayP12 {
  const { privateKey: privateKeyPem } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const privateKey = forge.pki.privateKeyFromPem(privateKeyPem) as forge.pki.rsa.PrivateKey;
  const certificate = forge.pki.createCertificate();
  certificate.publicKey = forge.pki.setRsaPublicKey(privateKey.n, privateKey.e);
  certificate.serialNumber = `01${randomBytes(8).toString('hex')}`;
  certificate.validity.notBefore = new Date(Date.now() - 60_000);
  certificate.validity.notAfter = new Date(Date.now() + 365 * 24 * 3600 * 1000);
  const subject = [{ name: 'commonName', value: merchantId }];
  certificate.setSubject(subject);
  certificate.setIssuer([{ name: 'commonName', value: 'CyberSource simulator (not CyberSource)' }]);
  certificate.sign(privateKey, forge.md.sha256.create());
  const asn1 = forge.pkcs12.toPkcs12Asn1(privateKey, [certificate], password, {
    algorithm: '3des',
    friendlyName: merchantId,
  });
  return {
    p12: Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary'),
    password,
    certificatePem: forge.pki.certificateToPem(certificate),
  };
}
