import pg from 'pg';
import { StoreUnavailable } from '../errors.ts';

export interface ConnectionOptions {
  /** postgres://user:password@host:port/database */
  url: string;
  /** Connections this replica keeps at most. */
  poolSize: number;
  /** How long one store operation may take in all, waiting for a connection included; past it, StoreUnavailable. */
  operationTimeoutMs: number;
  /** Told of a connection that failed while idle in the pool (the pool has already dropped it). */
  onIdleError?: (err: Error) => void;
}

/** bigint (int8) columns as numbers: stock, order ids and times stay far below 2^53. */
const INT8_OID = 20;
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID ? Number : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
};

/**
 * SQLSTATE classes that say "not now" rather than "wrong": connection exceptions (08), insufficient
 * resources (53), operator intervention such as a shutdown (57), transaction rollbacks such as a
 * serialization failure or deadlock (40), and a lock not available (55P03).
 */
const TRANSIENT_SQLSTATE = /^(08|53|57|40)|^55P03$/;

/**
 * What the driver rejected with, as the store sees it: an SQL error stays itself (a bug, answered as
 * one), unless its class says "not now"; a failure of the server or of the way to it (refused, reset,
 * timed out, shut down) is StoreUnavailable.
 */
function fromDriver(err: unknown): unknown {
  if (err instanceof pg.DatabaseError && !TRANSIENT_SQLSTATE.test(err.code ?? '')) return err;
  return new StoreUnavailable(`the database cannot serve: ${(err as Error).message || String(err)}`, { cause: err });
}

export type Query = (config: pg.QueryConfig) => Promise<pg.QueryResult>;

/**
 * The pool of connections to PostgreSQL, and the two ways the store uses it: one statement, or a
 * transaction. Both end within operationTimeoutMs: a hung server or a full pool is a StoreUnavailable
 * a client can retry, never a request that hangs. A connection that failed or timed out is dropped,
 * and new ones are made as the server comes back, so the replica recovers by itself.
 */
export class Database {
  readonly #pool: pg.Pool;
  readonly #timeoutMs: number;

  constructor({ url, poolSize, operationTimeoutMs, onIdleError }: ConnectionOptions) {
    this.#timeoutMs = operationTimeoutMs;
    this.#pool = new pg.Pool({
      connectionString: url,
      max: poolSize,
      connectionTimeoutMillis: operationTimeoutMs,
      query_timeout: operationTimeoutMs,
      // The server's side of the same bounds, for when this replica is gone (killed, cut off) and cannot
      // end what it started: a statement is cancelled after the operation's budget, and a transaction
      // left open and idle (its client vanished mid-transaction) is ended after twice that, so the row
      // and advisory locks it holds (a product's, the order counter's, a key's) never block the others.
      statement_timeout: operationTimeoutMs,
      idle_in_transaction_session_timeout: 2 * operationTimeoutMs,
      keepAlive: true,
      types,
      application_name: 'storage-service',
    });
    // An idle connection that fails (the server restarted) is dropped by the pool, which then says so
    // here; without a listener, that 'error' would end the process.
    this.#pool.on('error', (err) => onIdleError?.(err));
    // A connection in use reports a failure both to its running statement and as an 'error' event,
    // which the pool does not listen to while the connection is checked out: the statement's error is
    // the one that counts, and this keeps the event from ending the process.
    this.#pool.on('connect', (client) => client.on('error', () => {}));
  }

  /** One statement on any connection. */
  async query(config: pg.QueryConfig): Promise<pg.QueryResult> {
    try {
      return await this.#pool.query(config);
    } catch (err) {
      throw fromDriver(err);
    }
  }

  /**
   * `work` in a transaction on one connection: COMMIT if it resolves, ROLLBACK if it throws. Past the
   * deadline (the operation's budget, or `timeoutMs` for the long work of a start: migrating, seeding)
   * the connection is closed, which ends whatever statement was running; the operation is then
   * StoreUnavailable, and the server rolls back what was not committed.
   */
  async transaction<T>(work: (query: Query) => Promise<T>, timeoutMs = this.#timeoutMs): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (err) {
      throw fromDriver(err);
    }
    let broken = false;
    const deadline = setTimeout(() => {
      broken = true;
      void client.end().catch(() => {});
    }, timeoutMs);
    const query: Query = (config) =>
      client.query(config).catch((err: unknown) => {
        throw fromDriver(err);
      });
    try {
      await query({ text: 'BEGIN' });
      if (timeoutMs !== this.#timeoutMs) await query({ text: `SET LOCAL statement_timeout = ${Math.trunc(timeoutMs)}` });
      const result = await work(query);
      await query({ text: 'COMMIT' });
      return result;
    } catch (err) {
      const failure = broken ? new StoreUnavailable(`the database did not finish within ${timeoutMs} ms`, { cause: err }) : err;
      // After a refusal of the store's own, or an SQL error, the connection is sound: roll back and keep it.
      if (failure instanceof StoreUnavailable) broken = true;
      else await client.query('ROLLBACK').catch(() => (broken = true));
      throw failure;
    } finally {
      clearTimeout(deadline);
      client.release(broken ? new Error('connection dropped') : undefined);
    }
  }

  async close(): Promise<void> {
    if (!this.#pool.ended) await this.#pool.end();
  }
}
