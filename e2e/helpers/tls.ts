import { request } from 'node:https';
import { connect, type ConnectionOptions, type SecureVersion } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import type { Stack } from 'testkit/compose-stack';
import { within } from 'testkit/poll';

/** The development CA (TLS_MODE=development) that the gateway's certificate chains to, as a user exports it (README, HTTPS). */
export const developmentCa = (stack: Stack): Promise<string> => stack.compose(['exec', '-T', 'gateway', 'cat', '/etc/traefik/dev-tls/ca.pem']);

/** How to reach the gateway's HTTPS entrypoint: its port on 127.0.0.1, the name asked for (SNI), the CA trusted. */
export interface TlsTarget {
  port: number;
  /** The server name sent (SNI) and checked in the certificate; undefined: none sent, and 127.0.0.1 is checked. */
  servername?: string;
  ca: string;
}

export interface TlsAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** One HTTP/1.1 request over TLS (certificate verified against `target.ca`), 5 s at most. */
export function httpsRequest(target: TlsTarget, path: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<TlsAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: target.port,
        path,
        method: init.method ?? 'GET',
        headers: { ...(target.servername && { host: `${target.servername}:${target.port}` }), ...init.headers },
        servername: target.servername,
        ca: target.ca,
        agent: false,
        timeout: 5000,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${init.method ?? 'GET'} ${path}: no answer within 5 s`)));
    req.on('error', reject);
    req.end(init.body);
  });
}

/**
 * Until a read through HTTPS answers 200: the gateway serves its certificate before the replicas have
 * passed their first health check, and routes to them only after.
 */
export async function untilReadOverHttps(target: TlsTarget): Promise<void> {
  await within('a read through HTTPS', 120_000, async () => (await httpsRequest(target, '/storagesvc/data')).status === 200, { intervalMs: 250 });
}

export interface Handshake {
  protocol: string | null;
  alpnProtocol: string | false | null;
  certificate: X509Certificate | undefined;
}

/**
 * A TLS handshake alone, then the connection is closed: what was negotiated and which certificate was
 * served; rejects with the handshake's error (an alert from the gateway, or an untrusted certificate).
 */
export function handshake(target: TlsTarget, options: { minVersion?: SecureVersion; maxVersion?: SecureVersion; ciphers?: string; ALPNProtocols?: string[] } = {}): Promise<Handshake> {
  return new Promise((resolve, reject) => {
    const socketOptions: ConnectionOptions = { host: '127.0.0.1', port: target.port, servername: target.servername, ca: target.ca, timeout: 5000, ...options };
    const socket = connect(socketOptions, () => {
      resolve({ protocol: socket.getProtocol(), alpnProtocol: socket.alpnProtocol, certificate: socket.getPeerX509Certificate() });
      socket.end();
    });
    socket.on('timeout', () => socket.destroy(new Error('no handshake within 5 s')));
    socket.on('error', reject);
  });
}
