import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { credentials, loadPackageDefinition, Metadata, status, type Client, type ServiceError } from '@grpc/grpc-js';
import { loadSync, type PackageDefinition } from '@grpc/proto-loader';

/** The repository's proto folder: the same contract the replicas serve. */
const PROTO_ROOT = fileURLToPath(new URL('../../proto/', import.meta.url));

/** StorageService's proto as the replicas load it (storage-service's grpc-server.ts), read once. */
export const storageProto: PackageDefinition = loadSync('assembly/storage/v1/storage.proto', { includeDirs: [PROTO_ROOT], longs: Number, enums: String, defaults: true, oneofs: true });

/** What one call came back with: a status code (OK included), and what the replica said about it. */
export interface CallOutcome<T = any> {
  code: status;
  /** The code's name: OK, UNAVAILABLE, DEADLINE_EXCEEDED… */
  codeName: string;
  response: T | null;
  details: string;
  /** x-replica-id of the answer; null when no replica answered (the gateway's UNAVAILABLE, a deadline). */
  replica: string | null;
  /** idempotent-replayed: the kept result of an idempotency key. */
  replayed: boolean;
  ms: number;
}

export interface CallOptions {
  /** Sent as the idempotency-key metadata. */
  key?: string;
  /** The call's deadline, from when it is sent: past it, DEADLINE_EXCEEDED, whatever the server does. */
  deadlineMs: number;
}

/**
 * A StorageService client (proto/assembly/storage/v1/storage.proto, loaded at run time) on one channel:
 * `127.0.0.1:8081` as h2c, or over TLS with `tls` (the system's roots, or `ca`).
 */
export class StorageClient {
  readonly #client: Client;

  constructor(address: string, { tls = false, ca }: { tls?: boolean; ca?: Buffer } = {}) {
    const Service = (loadPackageDefinition(storageProto) as any).assembly.storage.v1.StorageService;
    this.#client = new Service(address, tls ? credentials.createSsl(ca ?? null) : credentials.createInsecure());
  }

  call<T = any>(method: string, request: object, { key, deadlineMs }: CallOptions): Promise<CallOutcome<T>> {
    const metadata = new Metadata();
    if (key !== undefined) metadata.set('idempotency-key', key);
    const started = performance.now();
    return new Promise((resolve) => {
      let headers: Metadata | undefined;
      const call = (this.#client as any)[method](request, metadata, { deadline: Date.now() + deadlineMs }, (error: ServiceError | null, response: T) => {
        const answered = error ? error.metadata : headers;
        const code = error ? error.code : status.OK;
        resolve({
          code,
          codeName: status[code] ?? String(code),
          response: error ? null : response,
          details: error?.details ?? '',
          replica: (answered?.get('x-replica-id')[0] as string | undefined) ?? null,
          replayed: answered?.get('idempotent-replayed')[0] === 'true',
          ms: performance.now() - started,
        });
      });
      call.on('metadata', (received: Metadata) => (headers = received));
    });
  }

  close(): void {
    this.#client.close();
  }
}

/** Calls that change nothing, or change the same way twice (PutItem, DeleteItem). */
const IDEMPOTENT = new Set(['ListPartitions', 'ListItems', 'GetItem', 'PutItem', 'DeleteItem', 'GetOrder', 'ListOrders']);

/**
 * Whether a call may be sent again after it failed: the gateway's rule, on the client's side. Reads, PutItem
 * and DeleteItem; PlaceOrder and AppendItem only with an idempotency key (the replica applies a key once).
 */
export const mayRetry = (method: string, key: string | undefined): boolean => IDEMPOTENT.has(method) || key !== undefined;

export interface RetriedOutcome<T> {
  outcome: CallOutcome<T>;
  /** How many times it was sent. */
  attempts: number;
  /** From the first attempt to the final outcome, backoff included. */
  ms: number;
}

/** Attempts of one call at most; the pause before each next one doubles from 50 ms up to 1 s. */
export const MAX_ATTEMPTS = 6;
export const backoffMs = (attempt: number) => Math.min(1000, 50 * 2 ** (attempt - 1));

/**
 * One call, sent again with backoff while it may be (mayRetry) and its failure says "not now":
 * UNAVAILABLE (no replica, the store down, the gateway's rate limit); INTERNAL, which is also what a
 * client gets when the gateway resets a stream it had begun to forward (a replica killed between its
 * answer and its status: the answer may have taken effect, and only the client can ask again); ABORTED
 * for a keyed write (the same key in flight: asked again, it replays or takes effect). Each attempt has
 * its own deadline; DEADLINE_EXCEEDED is final: the client gave the call all the time it had.
 */
export async function callWithRetries<T = any>(client: Pick<StorageClient, 'call'>, method: string, request: object, options: CallOptions): Promise<RetriedOutcome<T>> {
  const started = performance.now();
  for (let attempt = 1; ; attempt++) {
    const outcome = await client.call<T>(method, request, options);
    const notNow = outcome.code === status.UNAVAILABLE || outcome.code === status.INTERNAL || (outcome.code === status.ABORTED && options.key !== undefined);
    if (!notNow || !mayRetry(method, options.key) || attempt === MAX_ATTEMPTS) return { outcome, attempts: attempt, ms: performance.now() - started };
    await sleep(backoffMs(attempt));
  }
}
