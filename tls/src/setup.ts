import { X509Certificate } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { certificateProblem, leafCertificate, makeAuthority, makeServerCertificate } from './certificates.ts';

/**
 * Runs once before the gateway starts (compose: `tls-setup`; the gateway waits for it to exit 0), so a
 * mistake in the TLS settings stops `up` with one line instead of a gateway without a certificate:
 *   development  a certificate authority and a certificate for localhost, 127.0.0.1 and ::1, made once
 *                into DEV_TLS_DIR (a volume the gateway reads); the certificate again when < 30 days remain
 *   files        TLS_CERT_FILE and TLS_KEY_FILE (mounted at FILES_DIR) are a certificate and its key, valid now
 *   acme         GATEWAY_DOMAIN and ACME_EMAIL are set
 *   off          nothing to check: no certificate, plain HTTP serves every route (TLS ends in front of the gateway)
 */
const MODES = ['acme', 'files', 'development', 'off'];
const DEV_NAMES = ['localhost', '127.0.0.1', '::1'];
const RENEW_BEFORE_DAYS = 30;

function fail(message: string): never {
  process.stderr.write(`tls-setup: ${message}\n`);
  process.exit(1);
}

async function writeSecret(path: string, content: string): Promise<void> {
  // Whole or not at all: a gateway never reads half a key.
  await writeFile(`${path}.tmp`, content, { mode: 0o600 });
  await rename(`${path}.tmp`, path);
}

async function developmentCertificate(dir: string): Promise<string> {
  const read = (name: string) => readFile(join(dir, name), 'utf8').catch(() => undefined);
  const [cert, key] = await Promise.all([read('cert.pem'), read('key.pem')]);
  const renewBy = new Date(Date.now() + RENEW_BEFORE_DAYS * 24 * 3600 * 1000);
  if (cert && key && certificateProblem(cert, key, renewBy) === undefined) {
    return `development certificate kept (valid until ${new X509Certificate(cert).validTo}); clients trust it through ca.pem`;
  }
  // A new authority each time, whose key is never written: nothing on disk can sign another certificate.
  const authority = await makeAuthority('service assembly development CA', 397);
  const made = await makeServerCertificate(authority, DEV_NAMES, 397);
  await writeFile(join(dir, 'ca.pem'), authority.cert, { mode: 0o644 });
  await writeSecret(join(dir, 'key.pem'), made.key);
  await writeFile(join(dir, 'cert.pem'), made.cert, { mode: 0o644 });
  return `development certificate made for ${DEV_NAMES.join(', ')} (valid until ${new X509Certificate(made.cert).validTo}); clients trust it through ca.pem`;
}

async function main(): Promise<string> {
  const mode = process.env.TLS_MODE ?? '';
  if (!MODES.includes(mode)) fail(`TLS_MODE must be one of ${MODES.join(', ')} (got "${mode}")`);
  if (mode === 'acme') {
    const missing = ['GATEWAY_DOMAIN', 'ACME_EMAIL'].filter((name) => !process.env[name]);
    if (missing.length) fail(`TLS_MODE=acme needs ${missing.join(' and ')}: the domain the certificate is for, and the address the CA writes to`);
    return `ACME certificate for ${process.env.GATEWAY_DOMAIN}, obtained by the gateway`;
  }
  if (mode === 'files') {
    const dir = process.env.FILES_DIR ?? '/run/tls';
    const [cert, key] = await Promise.all(['cert.pem', 'key.pem'].map((name) => readFile(join(dir, name), 'utf8').catch(() => '')));
    if (!cert || !key) fail('TLS_MODE=files needs TLS_CERT_FILE and TLS_KEY_FILE: the paths of a PEM certificate (a chain is allowed) and of its key');
    const problem = certificateProblem(cert, key);
    if (problem) fail(`the certificate of TLS_CERT_FILE ${problem}`);
    const served = leafCertificate(cert)!;
    return `certificate from TLS_CERT_FILE: ${served.subject.replace(/\n/g, ', ')}, for ${served.subjectAltName ?? 'no alternative names'}, valid until ${served.validTo}`;
  }
  if (mode === 'off') return 'no certificate: HTTPS refuses every handshake, plain HTTP serves every route';
  return developmentCertificate(process.env.DEV_TLS_DIR ?? '/certs');
}

process.stdout.write(`tls-setup: ${await main()}\n`);
