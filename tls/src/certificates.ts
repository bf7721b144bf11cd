// @peculiar/x509 resolves its parts through tsyringe, which needs the Reflect metadata polyfill first.
import 'reflect-metadata';
import { createPrivateKey, webcrypto, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as Crypto);

const DAY_MS = 24 * 3600 * 1000;
const KEY_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };

/** A certificate and its private key, PEM. */
export interface KeyPair {
  cert: string;
  key: string;
}

async function privateKeyPem(keys: CryptoKeyPair): Promise<string> {
  return x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY');
}

const generateKeys = () => webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify']) as Promise<CryptoKeyPair>;

/** A certificate authority of its own, to sign leaf certificates that a client trusts through its ca.pem. */
export async function makeAuthority(name: string, days: number): Promise<{ cert: string; keys: CryptoKeyPair }> {
  const keys = await generateKeys();
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: `CN=${name}`,
    notBefore: new Date(now - DAY_MS),
    notAfter: new Date(now + days * DAY_MS),
    keys,
    signingAlgorithm: KEY_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert: cert.toString('pem'), keys };
}

/** A server certificate for `names` (DNS names or IP addresses), signed by `authority`. */
export async function makeServerCertificate(authority: { cert: string; keys: CryptoKeyPair }, names: string[], days: number): Promise<KeyPair> {
  const keys = await generateKeys();
  const issuer = new x509.X509Certificate(authority.cert);
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: `CN=${names[0]}`,
    issuer: issuer.subject,
    notBefore: new Date(now - DAY_MS),
    notAfter: new Date(now + days * DAY_MS),
    publicKey: keys.publicKey,
    signingKey: authority.keys.privateKey,
    signingAlgorithm: KEY_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names.map((name) => ({ type: isIP(name) ? ('ip' as const) : ('dns' as const), value: name }))),
      await x509.AuthorityKeyIdentifierExtension.create(issuer),
    ],
  });
  return { cert: cert.toString('pem'), key: await privateKeyPem(keys) };
}

function randomSerial(): string {
  // Positive (first bit clear), 16 bytes: unique without a registry.
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0]! &= 0x7f;
  return Buffer.from(bytes).toString('hex');
}

/** The first certificate of a PEM file: the server's own, in a chain (which lists it first). */
export function leafCertificate(pem: string): X509Certificate | undefined {
  const first = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/.exec(pem)?.[0];
  try {
    return first ? new X509Certificate(first) : undefined;
  } catch {
    return undefined;
  }
}

/** Why a certificate (or chain) and key (PEM) cannot be served, or undefined when they can: parsed, matching, valid now. */
export function certificateProblem(certPem: string, keyPem: string, now = new Date()): string | undefined {
  const cert = leafCertificate(certPem);
  if (!cert) return 'is not a PEM certificate';
  let matches: boolean;
  try {
    matches = cert.checkPrivateKey(createPrivateKey(keyPem));
  } catch {
    return 'has a key file that is not a PEM private key';
  }
  if (!matches) return 'does not belong to the key file';
  if (new Date(cert.validTo) <= now) return `expired on ${new Date(cert.validTo).toISOString()}`;
  if (new Date(cert.validFrom) > now) return `is not valid before ${new Date(cert.validFrom).toISOString()}`;
  return undefined;
}
