import { execFileSync } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { ROOT, Stack } from 'testkit/compose-stack';
import { within } from 'testkit/poll';
import { makeAuthority, makeServerCertificate } from 'tls-setup/certificates';
import { e2eProject } from './helpers/assembly.ts';
import { ms, report } from './helpers/report.ts';
import { handshake, httpsRequest, untilReadOverHttps, type TlsTarget } from './helpers/tls.ts';

// TLS_MODE=acme against a real ACME server on this machine: Let's Encrypt's Pebble (e2e/pebble.compose.yml).
// Traefik obtains a certificate for a test domain that resolves to the gateway, by the HTTP-01 challenge
// through the plain entrypoint (which redirects everything else), serves it with a chain that ends at
// Pebble's root, and keeps it (acme.json, mode 600) across a restart of the gateway.

const DOMAIN = 'assembly.test';
let stack: Stack;
let dir: string;
let apiCa: string;
let target: TlsTarget;
/** Pebble's root: new at every start of Pebble, so read once it is up. */
let root: string;

/** GET on Pebble's management API, published on 127.0.0.1 (its certificate is the test's). */
async function pebbleManagement(path: string): Promise<string> {
  const port = Number((await stack.compose(['port', 'pebble', '15000'])).trim().split(':').pop());
  const answer = await httpsRequest({ port, ca: apiCa }, path);
  if (answer.status !== 200) throw new Error(`Pebble ${path} answered ${answer.status}`);
  return answer.text;
}

/** The served certificate, once its chain verifies against Pebble's root. */
const servedCertificate = async () => (await handshake({ ...target, ca: root })).certificate;

test.before(async (t) => {
  const pebble = process.env.PEBBLE_BIN ?? execFileSync('bash', ['.ci/pebble.sh'], { cwd: ROOT, encoding: 'utf8' }).trim();
  dir = await mkdtemp(join(tmpdir(), 'e2e-https-acme-'));
  await chmod(dir, 0o755); // the gateway's user (65534) reads ca.pem in it
  const authority = await makeAuthority('e2e Pebble API CA', 2);
  const api = await makeServerCertificate(authority, ['pebble', '127.0.0.1'], 2);
  apiCa = authority.cert;
  await writeFile(join(dir, 'ca.pem'), authority.cert);
  await writeFile(join(dir, 'cert.pem'), api.cert);
  await writeFile(join(dir, 'key.pem'), api.key);
  const config = {
    pebble: {
      listenAddress: '0.0.0.0:14000',
      managementListenAddress: '0.0.0.0:15000',
      certificate: '/pebble/cert.pem',
      privateKey: '/pebble/key.pem',
      // Validations go to the gateway's entrypoints as they listen in its container.
      httpPort: 8080,
      tlsPort: 8443,
    },
  };
  await writeFile(join(dir, 'config.json'), JSON.stringify(config));

  const started = performance.now();
  stack = await Stack.create({
    project: e2eProject('https-acme'),
    env: {
      TLS_MODE: 'acme',
      GATEWAY_DOMAIN: DOMAIN,
      ACME_EMAIL: `ops@${DOMAIN}`,
      ACME_CA_SERVER: 'https://pebble:14000/dir',
      PEBBLE_BIN: pebble,
      PEBBLE_DIR: dir,
    },
    overrides: ['e2e/pebble.compose.yml'],
  });
  target = { port: stack.httpsPort, servername: DOMAIN, ca: '' };
  await stack.up();
  root = (await within('Pebble\'s root', 60_000, () => pebbleManagement('/roots/0'), { intervalMs: 500 })).value;
  await within('the ACME certificate served', 120_000, servedCertificate, { intervalMs: 500 }).catch(async (error: Error) => {
    // What the gateway and the CA said is the whole story of a failed issuance.
    const logs = await stack.compose(['logs', '--no-color', 'gateway', 'pebble']).catch(() => '(no logs)');
    const story = logs.split('\n').filter((line) => /acme|lego|certificate|pebble_1/i.test(line));
    throw new Error(`${error.message}\n${story.slice(-40).join('\n')}`);
  });
  const line = `https-acme: certificate from Pebble served ${ms(performance.now() - started)} after up`;
  await untilReadOverHttps({ ...target, ca: root });
  t.log(line);
  report([line, '']);
});

test.after.always(async () => {
  stack?.down();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('Traefik obtains a certificate for the domain from the ACME CA; its chain ends at Pebble\'s root', async (t) => {
  const certificate = await servedCertificate();
  t.is(certificate?.subjectAltName, `DNS:${DOMAIN}`);
  t.regex(certificate?.issuer ?? '', /Pebble Intermediate/);
  const answer = await httpsRequest({ ...target, ca: root }, '/storagesvc/data');
  t.is(answer.status, 200);
  t.is(answer.headers['strict-transport-security'], 'max-age=31536000');
});

test('the certificate is kept across a restart of the gateway (acme.json, mode 600): the CA is not asked again', async (t) => {
  const before = (await servedCertificate())!;
  t.regex(await stack.compose(['exec', '-T', 'gateway', 'ls', '-ln', '/var/lib/traefik-acme/acme.json']), /^-rw------- +1 +65534 +65534 /);
  await stack.compose(['restart', 'gateway']);
  const after = await within('the certificate served again after the restart', 60_000, servedCertificate, { intervalMs: 250 });
  t.is(after.value!.fingerprint256, before.fingerprint256);
});
