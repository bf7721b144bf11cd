import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { UptimeReport } from './schemas.ts';
import type { StatusFilter } from './status-report.ts';
import type { Condition, DownState } from './uptime-condition.ts';
import { sameCondition } from './uptime-condition.ts';

const DAY_MS = 86_400_000;

/** A container as the history names it: its short id, its name and app when first seen. */
export interface ContainerIdentity {
  id: string;
  name: string;
  appName: string;
}

/** A condition and the time it began, epoch milliseconds. */
export interface Change {
  at: number;
  condition: Condition;
}

type ContainerUptime = UptimeReport['containers'][number];
type Incident = ContainerUptime['incidents'][number];

export interface Window {
  since: number;
  until: number;
}

/** When the history knew the container: from its first sighting until it was removed (null: not removed). */
export interface Lifetime {
  firstSeen: number;
  removedAt: number | null;
}

/**
 * A container's uptime within the window: of the part of the window it existed in (from its first
 * sighting, until its removal), how many milliseconds it was up, and its incidents: each time it was not
 * up, from the change that took it down to the next that brought it up (its removal ends one too; `to`
 * null while it lasts), with the state, exit code and reason of the change that began it. An incident that
 * began before the window but lasted into it is reported whole, as it began. Null when the container did
 * not exist during the window. `changes` are in order, the first at or before `firstSeen`.
 */
export function uptimeWithin(changes: Change[], lifetime: Lifetime, { since, until }: Window): { upMs: number; observedMs: number; incidents: Incident[] } | null {
  const start = Math.max(since, lifetime.firstSeen);
  const end = Math.min(until, lifetime.removedAt ?? until);
  if (end <= start) return null;
  let upMs = 0;
  const incidents: Incident[] = [];
  let open: { from: number; condition: Extract<Condition, { up: false }> } | null = null;
  const close = (to: number | null) => {
    if (open && (to === null || to > start) && open.from < end) {
      const { state, exitCode, reason } = open.condition;
      incidents.push({ from: new Date(open.from).toISOString(), to: to === null ? null : new Date(to).toISOString(), state, exitCode, reason });
    }
    open = null;
  };
  changes.forEach(({ at, condition }, i) => {
    const next = changes[i + 1]?.at ?? end;
    if (condition.up) {
      close(at);
      upMs += Math.max(0, Math.min(next, end) - Math.max(at, start));
    } else if (!open) {
      open = { from: at, condition };
    }
  });
  close(lifetime.removedAt !== null && lifetime.removedAt <= until ? lifetime.removedAt : null);
  return { upMs, observedMs: end - start, incidents };
}

interface ContainerRow {
  id: string;
  name: string;
  app: string;
  first_seen: number;
  removed_at: number | null;
}

interface ChangeRow {
  at: number;
  up: number;
  state: DownState | null;
  exit_code: number | null;
  reason: string | null;
}

const toCondition = (row: ChangeRow): Condition =>
  row.up ? { up: true } : { up: false, state: row.state!, exitCode: row.exit_code, reason: row.reason ?? '' };

/**
 * Every condition change of every container the status service has watched, in a SQLite file of its
 * own (node:sqlite), kept for `retentionDays`. Only changes are written: a container's last condition is
 * kept in memory too, so an observation that changes nothing costs no write.
 */
export class UptimeHistory {
  readonly #db: DatabaseSync;
  readonly #retentionMs: number;
  readonly #last = new Map<string, { condition: Condition; removed: boolean }>();
  readonly #sql;

  constructor(path: string, retentionDays: number) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    // A second process on the same file (two copies started by hand) waits for the other's write.
    this.#db = new DatabaseSync(path, { timeout: 5_000 });
    this.#db.exec(`
      PRAGMA journal_mode = WAL;
      CREATE TABLE IF NOT EXISTS containers (
        id TEXT PRIMARY KEY, name TEXT NOT NULL, app TEXT NOT NULL, first_seen INTEGER NOT NULL, removed_at INTEGER
      ) STRICT;
      CREATE TABLE IF NOT EXISTS changes (
        seq INTEGER PRIMARY KEY, container_id TEXT NOT NULL REFERENCES containers (id) ON DELETE CASCADE,
        at INTEGER NOT NULL, up INTEGER NOT NULL, state TEXT, exit_code INTEGER, reason TEXT
      ) STRICT;
      CREATE INDEX IF NOT EXISTS changes_of_container ON changes (container_id, seq);
      PRAGMA foreign_keys = ON;
    `);
    this.#retentionMs = retentionDays * DAY_MS;
    this.#sql = {
      insertContainer: this.#db.prepare('INSERT INTO containers (id, name, app, first_seen) VALUES (?, ?, ?, ?)'),
      insertChange: this.#db.prepare('INSERT INTO changes (container_id, at, up, state, exit_code, reason) VALUES (?, ?, ?, ?, ?, ?)'),
      markRemoved: this.#db.prepare('UPDATE containers SET removed_at = ? WHERE id = ? AND removed_at IS NULL'),
      containers: this.#db.prepare('SELECT id, name, app, first_seen, removed_at FROM containers ORDER BY app, name, id'),
      changesOf: this.#db.prepare('SELECT at, up, state, exit_code, reason FROM changes WHERE container_id = ? ORDER BY seq'),
      lastAtOf: this.#db.prepare('SELECT max(at) AS at FROM changes WHERE container_id = ?'),
      lastChanges: this.#db.prepare(
        'SELECT c.container_id AS id, c.at, c.up, c.state, c.exit_code, c.reason, k.removed_at FROM changes c JOIN containers k ON k.id = c.container_id WHERE c.seq IN (SELECT max(seq) FROM changes GROUP BY container_id)',
      ),
      pruneRemoved: this.#db.prepare('DELETE FROM containers WHERE removed_at < ?'),
      pruneChanges: this.#db.prepare('DELETE FROM changes WHERE at < ? AND seq NOT IN (SELECT max(seq) FROM changes GROUP BY container_id)'),
    };
    for (const row of this.#sql.lastChanges.all() as unknown as Array<ChangeRow & { id: string; removed_at: number | null }>) {
      this.#last.set(row.id, { condition: toCondition(row), removed: row.removed_at !== null });
    }
  }

  /** The containers observed now, each with its condition and, optionally, when it began (a container's exit time). */
  observe(observations: Array<{ container: ContainerIdentity; condition: Condition; since?: number | null }>, at: number): void {
    this.#transaction(() => {
      for (const { container, condition, since } of observations) {
        const last = this.#last.get(container.id);
        if (last && !last.removed && sameCondition(last.condition, condition)) continue;
        if (!last) this.#sql.insertContainer.run(container.id, container.name, container.appName, at);
        // A time of its own (a container's exit) for a change of a container already known, never before its last change.
        const changedAt = last && since && since <= at ? Math.max(since, this.#lastAt(container.id) ?? since) : at;
        const down = condition.up ? null : condition;
        this.#sql.insertChange.run(container.id, changedAt, condition.up ? 1 : 0, down?.state ?? null, down?.exitCode ?? null, down?.reason ?? null);
        this.#last.set(container.id, { condition, removed: false });
      }
    });
  }

  /** The containers still watched (not removed) that are no longer there: they were removed now. */
  removeAllBut(present: ReadonlySet<string>, at: number): void {
    this.#transaction(() => {
      for (const [id, last] of this.#last) {
        if (last.removed || present.has(id)) continue;
        this.#sql.markRemoved.run(at, id);
        last.removed = true;
      }
    });
  }

  report(filter: StatusFilter, window: Window): UptimeReport {
    const apps = new Map<string, { upMs: number; observedMs: number }>();
    const containers: ContainerUptime[] = [];
    for (const row of this.#sql.containers.all() as unknown as ContainerRow[]) {
      if (filter.appName && row.app !== filter.appName) continue;
      if (filter.id && !row.id.startsWith(filter.id)) continue;
      const changes = (this.#sql.changesOf.all(row.id) as unknown as ChangeRow[]).map((change) => ({ at: change.at, condition: toCondition(change) }));
      const uptime = uptimeWithin(changes, { firstSeen: row.first_seen, removedAt: row.removed_at }, window);
      if (!uptime) continue;
      const app = apps.get(row.app) ?? { upMs: 0, observedMs: 0 };
      app.upMs += uptime.upMs;
      app.observedMs += uptime.observedMs;
      apps.set(row.app, app);
      containers.push({
        id: row.id,
        name: row.name,
        appName: row.app,
        observedSince: new Date(Math.max(window.since, row.first_seen)).toISOString(),
        removedAt: row.removed_at === null ? null : new Date(row.removed_at).toISOString(),
        availability: uptime.upMs / uptime.observedMs,
        incidents: uptime.incidents,
      });
    }
    return {
      since: new Date(window.since).toISOString(),
      until: new Date(window.until).toISOString(),
      apps: Object.fromEntries([...apps].map(([name, { upMs, observedMs }]) => [name, { availability: upMs / observedMs }])),
      containers,
    };
  }

  /** How far back the history goes: `retentionDays` before `now`. */
  oldest(now: number): number {
    return now - this.#retentionMs;
  }

  /**
   * Forgets what is older than the retention: containers removed before it, and older changes, but for
   * each container's last one, which says what it was at the start of what is kept.
   */
  prune(now: number): void {
    const cutoff = this.oldest(now);
    this.#transaction(() => {
      this.#sql.pruneRemoved.run(cutoff);
      this.#sql.pruneChanges.run(cutoff);
    });
    for (const [id, last] of this.#last) if (last.removed && !this.#lastAt(id)) this.#last.delete(id);
  }

  close(): void {
    this.#db.close();
  }

  #lastAt(id: string): number | undefined {
    return (this.#sql.lastAtOf.get(id) as { at: number | null } | undefined)?.at || undefined;
  }

  #transaction(work: () => void): void {
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      work();
      this.#db.exec('COMMIT');
    } catch (err) {
      this.#db.exec('ROLLBACK');
      throw err;
    }
  }
}
