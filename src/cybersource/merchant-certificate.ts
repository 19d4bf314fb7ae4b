import forge from 'node-forge';

/** The merchant's signing identity from CyberSource's P12: the private key and its X.509 certificate. */
export interface MerchantCredentials {
  privateKeyPem: string;
  certificatePem: string;
  /** The certificate as base64 DER: the content of the BinarySecurityToken. */
  certificateBase64: string;
  /** The certificate's subject CN: CyberSource issues it for the merchant id. */
  commonName: string | undefined;
}

/**
 * Reads a PKCS#12 file with node-forge. CyberSource's P12 holds the merchant's key and certificate, and
 * may also hold CyberSource's own certificate (for message-level encryption): the certificate used is the one
 * whose public key matches the private key, so the order of the bags does not matter.
 */
export function readMerchantP12(p12: Buffer, password: string): MerchantCredentials {
  let store: forge.pkcs12.Pkcs12Pfx;
  try {
    const asn1 = forge.asn1.fromDer(forge.util.createBuffer(p12.toString('binary')));
    store = forge.pkcs12.pkcs12FromAsn1(asn1, false, password);
  } catch (error) {
    throw new Error(
      `The CyberSource P12 cannot be read (wrong password or not a PKCS#12 file): ${(error as Error).message}`,
    );
  }
  const keyBags = [
    ...(store.getBags({ bagType: forge.pki.oids.pkcs8ShroudedKeyBag })[forge.pki.oids.pkcs8ShroudedKeyBag] ?? []),
    ...(store.getBags({ bagType: forge.pki.oids.keyBag })[forge.pki.oids.keyBag] ?? []),
  ];
  const key = keyBags.find((bag) => bag.key)?.key as forge.pki.rsa.PrivateKey | undefined;
  if (!key) throw new Error('The CyberSource P12 holds no private key');
  const certificates = (store.getBags({ bagType: forge.pki.oids.certBag })[forge.pki.oids.certBag] ?? [])
    .map((bag) => bag.cert)
    .filter((cert): cert is forge.pki.Certificate => cert !== undefined);
  const certificate = certificates.find((cert) => {
    const publicKey = cert.publicKey as forge.pki.rsa.PublicKey;
    return publicKey.n?.equals(key.n) && publicKey.e?.equals(key.e);
  });
  if (!certificate) throw new Error('The CyberSource P12 holds no certificate for its private key');
  const der = forge.asn1.toDer(forge.pki.certificateToAsn1(certificate)).getBytes();
  return {
    privateKeyPem: forge.pki.privateKeyToPem(key),
    certificatePem: forge.pki.certificateToPem(certificate),
    certificateBase64: forge.util.encode64(der),
    commonName: certificate.subject.getField('CN')?.value as string | undefined,
  };
}
