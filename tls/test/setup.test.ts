import { execFile } from 'node:child_process';
import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { X509Certificate } from 'node:crypto';
import test from 'ava';
import { makeAuthority, makeServerCertificate } from '../src/certificates.ts';

// tls-setup as compose runs it before the gateway: one line on stdout and exit 0, or one on stderr and exit 1.

const SETUP = fileURLToPath(new URL('../src/setup.ts', import.meta.url));

async function setup(env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return promisify(execFile)(process.execPath, [SETUP], { env: { PATH: process.env.PATH, ...env } }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }),
  );
}

test('development: a certificate for localhost, 127.0.0.1 and ::1 that ca.pem verifies, the key mode 600; kept on the next run', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tls-setup-'));
  const first = await setup({ TLS_MODE: 'development', DEV_TLS_DIR: dir });
  t.is(first.code, 0, first.stderr);
  t.regex(first.stdout, /^tls-setup: development certificate made for localhost, 127\.0\.0\.1, ::1/);
  const cert = new X509Certificate(await readFile(join(dir, 'cert.pem')));
  const ca = new X509Certificate(await readFile(join(dir, 'ca.pem')));
  t.true(cert.verify(ca.publicKey));
  t.is(cert.subjectAltName, 'DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
  t.is((await stat(join(dir, 'key.pem'))).mode & 0o777, 0o600);

  const second = await setup({ TLS_MODE: 'development', DEV_TLS_DIR: dir });
  t.regex(second.stdout, /^tls-setup: development certificate kept/);
  t.is(new X509Certificate(await readFile(join(dir, 'cert.pem'))).fingerprint256, cert.fingerprint256);
});

test('acme without GATEWAY_DOMAIN or ACME_EMAIL is refused, naming what is missing', async (t) => {
  const both = await setup({ TLS_MODE: 'acme' });
  t.is(both.code, 1);
  t.regex(both.stderr, /^tls-setup: TLS_MODE=acme needs GATEWAY_DOMAIN and ACME_EMAIL/);
  t.regex((await setup({ TLS_MODE: 'acme', GATEWAY_DOMAIN: 'example.org' })).stderr, /needs ACME_EMAIL:/);
  t.is((await setup({ TLS_MODE: 'acme', GATEWAY_DOMAIN: 'example.org', ACME_EMAIL: 'ops@example.org' })).code, 0);
});

test('files: a certificate and its key pass; a key of another certificate, or no files, are refused', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tls-setup-'));
  const authority = await makeAuthority('test CA', 2);
  const [one, other] = [await makeServerCertificate(authority, ['one.test'], 2), await makeServerCertificate(authority, ['other.test'], 2)];
  await writeFile(join(dir, 'cert.pem'), one.cert + authority.cert); // a chain
  await writeFile(join(dir, 'key.pem'), one.key);
  const ok = await setup({ TLS_MODE: 'files', FILES_DIR: dir });
  t.is(ok.code, 0, ok.stderr);
  t.regex(ok.stdout, /CN=one\.test, for DNS:one\.test/);

  await writeFile(join(dir, 'key.pem'), other.key);
  t.regex((await setup({ TLS_MODE: 'files', FILES_DIR: dir })).stderr, /^tls-setup: the certificate of TLS_CERT_FILE does not belong to the key file/);
  const none = await setup({ TLS_MODE: 'files', FILES_DIR: join(dir, 'nothing') });
  t.is(none.code, 1);
  t.regex(none.stderr, /needs TLS_CERT_FILE and TLS_KEY_FILE/);
});

test('an unknown TLS_MODE is refused with the modes there are', async (t) => {
  const answer = await setup({ TLS_MODE: 'self-signed' });
  t.is(answer.code, 1);
  t.is(answer.stderr, 'tls-setup: TLS_MODE must be one of acme, files, development, off (got "self-signed")\n');
});
