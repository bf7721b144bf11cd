import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { Stack } from 'testkit/compose-stack';
import { within } from 'testkit/poll';
import { makeAuthority, makeServerCertificate } from 'tls-setup/certificates';
import { e2eProject } from './helpers/assembly.ts';
import { ms, report } from './helpers/report.ts';
import { handshake, httpsRequest, untilReadOverHttps, type TlsTarget } from './helpers/tls.ts';

// HTTPS at the gateway with production-like settings: TLS_MODE=files with a certificate this file makes
// for a test domain (its own CA), the services' production settings. Plain HTTP only redirects.

const DOMAIN = 'assembly.test';
let stack: Stack;
let dir: string;
let served: X509Certificate;
let target: TlsTarget;

test.before(async (t) => {
  dir = await mkdtemp(join(tmpdir(), 'e2e-https-files-'));
  const authority = await makeAuthority('e2e test CA', 2);
  const certificate = await makeServerCertificate(authority, [DOMAIN], 2);
  await writeFile(join(dir, 'cert.pem'), certificate.cert);
  await writeFile(join(dir, 'key.pem'), certificate.key, { mode: 0o644 }); // read by the gateway's user (65534)
  served = new X509Certificate(certificate.cert);

  const started = performance.now();
  stack = await Stack.create({
    project: e2eProject('https-files'),
    env: { TLS_MODE: 'files', TLS_CERT_FILE: join(dir, 'cert.pem'), TLS_KEY_FILE: join(dir, 'key.pem'), APP_ENV: 'production', FAULTS_ENABLED: 'false', LOG_LEVEL: 'info' },
  });
  target = { port: stack.httpsPort, servername: DOMAIN, ca: authority.cert };
  await stack.up();
  await untilReadOverHttps(target);
  const line = `https-files: assembly up in ${ms(performance.now() - started)} (HTTP ${stack.port}, HTTPS ${stack.httpsPort})`;
  t.log(line);
  report([line, '']);
});

test.after.always(async () => {
  stack?.down();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A plain-HTTP request to the gateway for DOMAIN (fetch cannot set Host): its status and Location. */
const plain = (path: string, method = 'GET') =>
  new Promise<{ status: number; location: string | undefined }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: stack.port, path, method, headers: { host: `${DOMAIN}:${stack.port}` }, timeout: 5000 }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, location: res.headers.location }));
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within 5 s`)));
    req.on('error', reject);
    req.end();
  });

test('plain HTTP redirects to the same path and query on HTTPS at the published port: GET 301, POST 308', async (t) => {
  const https = `https://${DOMAIN}:${stack.httpsPort}`;
  const get = await plain('/storagesvc/data/users?limit=2');
  t.deepEqual(get, { status: 301, location: `${https}/storagesvc/data/users?limit=2` });
  t.deepEqual(await plain('/storagesvc/orders', 'POST'), { status: 308, location: `${https}/storagesvc/orders` });
  // Every path, the dashboard's and unknown ones included: nothing is served in clear text.
  for (const path of ['/', '/dashboard/', '/nothing/here']) t.is((await plain(path)).location, `${https}${path}`);
});

test('HTTPS answers carry HSTS for a year, without includeSubDomains unless configured', async (t) => {
  const answer = await httpsRequest(target, '/storagesvc/data');
  t.is(answer.status, 200);
  t.is(answer.headers['strict-transport-security'], 'max-age=31536000');
  t.is((await httpsRequest(target, '/nothing/here')).headers['strict-transport-security'], 'max-age=31536000');
});

test('the served certificate is exactly the one of TLS_CERT_FILE', async (t) => {
  const { certificate } = await handshake(target);
  t.truthy(certificate);
  t.is(certificate!.fingerprint256, served.fingerprint256);
});

test('a name the gateway has no certificate for gets none (SNI strict), nor does a request without a name', async (t) => {
  const unknown = await t.throwsAsync(handshake({ ...target, servername: 'other.test' }));
  t.regex(unknown?.message ?? '', /unrecognized name/);
  // Without SNI, the certificate is not even checked: what matters is that none is served.
  const nameless = await t.throwsAsync(handshake({ port: target.port, ca: target.ca }));
  t.regex(nameless?.message ?? '', /unrecognized name/);
});

test('TLS_MODE=acme without GATEWAY_DOMAIN and ACME_EMAIL: up fails, tls-setup says why, and no gateway runs', async (t) => {
  const refused = await Stack.create({ project: `${stack.project}-refused`, env: { TLS_MODE: 'acme' } });
  t.teardown(() => refused.down());
  await t.throwsAsync(refused.up());
  const logs = await refused.compose(['logs', '--no-color', 'tls-setup']);
  t.regex(logs, /tls-setup: TLS_MODE=acme needs GATEWAY_DOMAIN and ACME_EMAIL/);
  t.deepEqual(await refused.running('gateway'), []);
});

test('HSTS_INCLUDE_SUBDOMAINS=true adds includeSubDomains', async (t) => {
  stack.env.HSTS_INCLUDE_SUBDOMAINS = 'true';
  await stack.compose(['up', '-d', '--no-build', 'gateway']);
  const answer = await within('HSTS with includeSubDomains', 60_000, async () => {
    const headers = (await httpsRequest(target, '/storagesvc/data')).headers;
    return String(headers['strict-transport-security']).includes('includeSubDomains') && headers;
  }, { intervalMs: 250 });
  t.is(answer.value['strict-transport-security'], 'max-age=31536000; includeSubDomains');
});
