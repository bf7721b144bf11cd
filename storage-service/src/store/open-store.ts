import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import { loadDataFile } from '../data-file.ts';
import { StoreOpenError, StoreUnavailable } from './errors.ts';
import { openPostgresStore } from './postgres/postgres-store.ts';
import { openSqliteStore } from './sqlite/sqlite-store.ts';
import type { Store } from './store.ts';

/** A replica may start before its database does (compose, a swarm): it waits this long for it. */
const STARTUP_WAIT_MS = 60_000;
const RETRY_DELAY_MS = 1_000;

type StoreConfig = Pick<Config, 'storePath' | 'storeUrl' | 'storePoolSize' | 'idempotencyTtlSeconds' | 'dataFile'>;

/** Which store, for the log and for errors: a PostgreSQL URL without its password, or the SQLite file. */
export function describeStore({ storeUrl, storePath }: Pick<Config, 'storeUrl' | 'storePath'>): string {
  if (!storeUrl) return `sqlite:${storePath}`;
  const url = new URL(storeUrl);
  url.password = '';
  return url.toString();
}

async function open(config: StoreConfig, onIdleError: (err: Error) => void): Promise<Store> {
  const idempotencyTtlMs = config.idempotencyTtlSeconds * 1000;
  if (!config.storeUrl) return openSqliteStore({ path: config.storePath, idempotencyTtlMs });
  try {
    return await openPostgresStore({ url: config.storeUrl, poolSize: config.storePoolSize, idempotencyTtlMs, onIdleError });
  } catch (err) {
    if (err instanceof StoreUnavailable) throw err;
    throw new StoreOpenError(`cannot open store ${describeStore(config)}: ${(err as Error).message}`);
  }
}

/**
 * Opens the store the configuration names (STORE_URL: PostgreSQL; otherwise the SQLite file at
 * STORE_PATH) and seeds it from DATA_FILE if it never was. A database that is not reachable yet is
 * waited for, up to a minute; one that refuses (a wrong password, a newer schema) is a StoreOpenError.
 */
export async function openStore(config: StoreConfig, logger: Logger): Promise<Store> {
  const store = describeStore(config);
  const onIdleError = (err: Error) => logger.warn({ err, store }, 'a store connection failed while idle; it was dropped');
  const deadline = Date.now() + STARTUP_WAIT_MS;
  for (;;) {
    let opened: Store | undefined;
    try {
      opened = await open(config, onIdleError);
      // The data file is read only while the store was never seeded; seed() checks again, atomically.
      if (await opened.seeded()) {
        logger.info({ store, dataFile: config.dataFile }, 'store already seeded: the data file was not read');
      } else if (await opened.seed(await loadDataFile(config.dataFile))) {
        logger.info({ store, dataFile: config.dataFile }, 'store seeded from the data file');
      }
      return opened;
    } catch (err) {
      await opened?.close();
      if (!(err instanceof StoreUnavailable)) throw err;
      if (Date.now() >= deadline) throw new StoreOpenError(`cannot open store ${store}: not reachable within ${STARTUP_WAIT_MS / 1000} s (${err.message})`);
      logger.warn({ store, reason: err.message }, 'store not reachable yet; trying again');
      await sleep(RETRY_DELAY_MS);
    }
  }
}
