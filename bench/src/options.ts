import { parseArgs } from 'node:util';
import type { GrpcLoadOptions } from 'testkit/grpc-load';
import type { WriteLoadOptions } from 'testkit/write-load';

/** The read workloads run on autocannon; the write workloads (store, write) on virtual users of write-load.ts. */
export const READ_WORKLOADS = ['read', 'mixed', 'status'] as const;
export const WRITE_WORKLOADS = ['store', 'write'] as const;
export const WORKLOADS = [...READ_WORKLOADS, ...WRITE_WORKLOADS] as const;
export type Workload = (typeof READ_WORKLOADS)[number];

/** What one load run does; the benchmarks build these too, so every field is plain data. */
export interface LoadOptions {
  workload: Workload;
  /** Base URL (origin, and a path if the target lives below one), without a trailing slash. */
  url: string;
  /** Path prefix the gateway routes on: `/storagesvc`, `/statussvc`, or '' straight at a replica. */
  prefix: string;
  connections: number;
  /** Exactly one of durationSeconds and amount is set; the other is null. */
  durationSeconds: number | null;
  amount: number | null;
  /** Fixed arrival rate, requests per second over all connections (autocannon's overallRate); null: as fast as answers come. */
  rate: number | null;
  /** mixed: probability that a partition listing is followed by an item read. */
  p: number;
  timeoutSeconds: number;
}

export type CommandLine =
  | { help: true }
  | { help: false; load: LoadOptions; jsonFile: string | null }
  | { help: false; write: WriteLoadOptions; jsonFile: string | null }
  | { help: false; grpc: GrpcLoadOptions; jsonFile: string | null };

export const TRANSPORTS = ['http', 'grpc'] as const;

export const DEFAULT_URL = 'http://127.0.0.1:8081';
export const DEFAULT_PREFIX: Record<(typeof WORKLOADS)[number], string> = {
  read: '/storagesvc',
  mixed: '/storagesvc',
  status: '/statussvc',
  store: '/storagesvc',
  write: '/storagesvc',
};

export const DEFAULTS = {
  workload: 'read',
  url: DEFAULT_URL,
  connections: 10,
  durationSeconds: 10,
  p: 0.5,
  timeoutSeconds: 10,
  transport: 'http',
  deadlineMs: 2000,
} as const;

export const USAGE = `Usage: npm run loadtest -- [options]

  --workload NAME               read: random item reads over all partitions; mixed: a partition listing,
                                then an item read with probability --p, repeated; status: polls /status;
                                store: each user reads a random product and, while it has stock, buys one
                                with probability --p (POST /orders); write: each user POSTs messages to
                                --partition. store and write send an Idempotency-Key, retry the same key
                                on a network error or a 5xx, and end with a consistency check
                                (default ${DEFAULTS.workload})
  --connections N               concurrent connections; for store and write, virtual users (default ${DEFAULTS.connections})
  --duration SECONDS            how long to run (default ${DEFAULTS.durationSeconds}); or:
  --amount N                    how many requests to send (not with --duration; at least --connections)
  --rate N                      fixed arrival rate, requests/s over all connections (default: as fast as possible)
  --url URL                     base URL (default ${DEFAULT_URL}, the gateway of .env.dev)
  --prefix PATH                 path prefix (default /storagesvc for read and mixed, /statussvc for status;
                                --prefix '' when --url is one storage replica)
  --p 0..1                      mixed: probability of the item read; store: of a buy (default ${DEFAULTS.p})
  --partition NAME              write only: the partition to write to (default loadtest-<time>)
  --timeout SECONDS             per request, at least 1 (default ${DEFAULTS.timeoutSeconds})
  --transport http|grpc         grpc: the same storage workloads (read, mixed, store, write) as StorageService
                                calls, --connections of them in flight on one channel, to --url's host and
                                port (http:// as h2c, https:// over TLS; no prefix); UNAVAILABLE and INTERNAL
                                are retried with backoff for reads and keyed writes (default ${DEFAULTS.transport})
  --deadline-ms N               grpc only: each call's deadline, after which it is DEADLINE_EXCEEDED (default ${DEFAULTS.deadlineMs})
  --json FILE                   also write the summary as JSON to FILE
  --help                        this text

Exit codes: 0 the load ran (errors in its answers are results, not failures); 1 the consistency check of store or
write failed (something acknowledged was lost, applied twice, or oversold); 2 bad options or unreachable target.
`;

/** A mistake in the options: the CLI prints the message as one line and exits 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Every option takes a value, but --help. */
const VALUE_OPTIONS = ['workload', 'connections', 'duration', 'amount', 'rate', 'url', 'prefix', 'p', 'timeout', 'json', 'partition', 'transport', 'deadline-ms'] as const;
const SPEC = {
  ...(Object.fromEntries(VALUE_OPTIONS.map((name) => [name, { type: 'string' }])) as Record<(typeof VALUE_OPTIONS)[number], { type: 'string' }>),
  help: { type: 'boolean' },
} as const;

/** argv (without node and the script) → options with every default filled in; throws UsageError. Pure. */
export function parseCommandLine(argv: readonly string[]): CommandLine {
  const values = parse(argv);
  if (values.help) return { help: true };

  const workload = values.workload ?? DEFAULTS.workload;
  if (!isWorkload(workload)) throw new UsageError(`--workload must be one of ${WORKLOADS.join(', ')} (got "${workload}")`);
  if (values.duration !== undefined && values.amount !== undefined) throw new UsageError('give --duration or --amount, not both');
  const p = values.p === undefined ? DEFAULTS.p : probability(values.p);
  if (values.p !== undefined && workload !== 'mixed' && workload !== 'store') throw new UsageError(`--p applies only to --workload mixed or store (got --workload ${workload})`);
  if (values.partition !== undefined && workload !== 'write') throw new UsageError(`--partition applies only to --workload write (got --workload ${workload})`);

  const connections = values.connections === undefined ? DEFAULTS.connections : positiveInteger('--connections', values.connections);
  const amount = values.amount === undefined ? null : positiveInteger('--amount', values.amount);
  // autocannon shares the amount out between the connections and refuses a connection with none.
  if (amount !== null && amount < connections) throw new UsageError(`--amount (${amount}) must be at least --connections (${connections})`);
  const durationSeconds = amount !== null ? null : values.duration === undefined ? DEFAULTS.durationSeconds : positiveNumber('--duration', values.duration, 'seconds');

  const jsonFile = values.json ?? null;
  if (jsonFile === '') throw new UsageError('--json needs a file name');

  const transport = values.transport ?? DEFAULTS.transport;
  if (!(TRANSPORTS as readonly string[]).includes(transport)) throw new UsageError(`--transport must be one of ${TRANSPORTS.join(', ')} (got "${transport}")`);
  if (transport === 'grpc') {
    if (workload === 'status') throw new UsageError('--workload status has no gRPC API: it reads the status service over HTTP');
    for (const option of ['prefix', 'rate', 'timeout'] as const) {
      if (values[option] !== undefined) throw new UsageError(`--${option} applies only to --transport http${option === 'timeout' ? ' (over gRPC: --deadline-ms)' : ''}`);
    }
    const url = new URL(baseUrl(values.url ?? DEFAULTS.url));
    if (url.pathname !== '/') throw new UsageError(`--url over gRPC is an origin, without a path (got "${values.url}")`);
    return {
      help: false,
      jsonFile,
      grpc: {
        workload,
        address: `${url.hostname}:${url.port || (url.protocol === 'https:' ? 443 : 80)}`,
        tls: url.protocol === 'https:',
        concurrency: connections,
        durationSeconds,
        amount,
        deadlineMs: values['deadline-ms'] === undefined ? DEFAULTS.deadlineMs : positiveInteger('--deadline-ms', values['deadline-ms']),
        p,
        ...(values.partition === undefined ? {} : { partition: partitionName(values.partition) }),
      },
    };
  }
  if (values['deadline-ms'] !== undefined) throw new UsageError('--deadline-ms applies only to --transport grpc (over HTTP: --timeout)');

  if (isWriteWorkload(workload)) {
    if (amount !== null || values.rate !== undefined) throw new UsageError(`--workload ${workload} runs for --duration; --amount and --rate do not apply`);
    return {
      help: false,
      jsonFile,
      write: {
        workload,
        base: `${baseUrl(values.url ?? DEFAULTS.url)}${prefix(values.prefix ?? DEFAULT_PREFIX[workload])}`,
        users: connections,
        durationSeconds: durationSeconds ?? DEFAULTS.durationSeconds,
        p,
        timeoutSeconds: values.timeout === undefined ? DEFAULTS.timeoutSeconds : timeout(values.timeout),
        ...(values.partition === undefined ? {} : { partition: partitionName(values.partition) }),
      },
    };
  }

  return {
    help: false,
    jsonFile,
    load: {
      workload,
      url: baseUrl(values.url ?? DEFAULTS.url),
      prefix: prefix(values.prefix ?? DEFAULT_PREFIX[workload]),
      connections,
      durationSeconds,
      amount,
      // autocannon gives each connection a whole number of requests per second.
      rate: values.rate === undefined ? null : positiveInteger('--rate', values.rate),
      p,
      timeoutSeconds: values.timeout === undefined ? DEFAULTS.timeoutSeconds : timeout(values.timeout),
    },
  };
}

function parse(argv: readonly string[]) {
  try {
    return parseArgs({ args: joinNegativeNumbers(argv), options: SPEC, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new UsageError(parseArgsMessage(err));
  }
}

/**
 * parseArgs calls `--duration -1` ambiguous (is -1 a value or an option?) and would report that instead
 * of the real mistake; a negative number after a valued option is meant as its value.
 */
function joinNegativeNumbers(argv: readonly string[]): string[] {
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const next = argv[i + 1];
    const name = arg.startsWith('--') ? arg.slice(2) : '';
    if (name in SPEC && SPEC[name as keyof typeof SPEC].type === 'string' && next !== undefined && /^-[\d.]/.test(next)) {
      args.push(`${arg}=${next}`);
      i++;
    } else {
      args.push(arg);
    }
  }
  return args;
}

/** parseArgs' messages span several lines and suggest things this tool does not take; say it in one. */
function parseArgsMessage(err: unknown): string {
  const code = (err as { code?: string }).code;
  const message = err instanceof Error ? err.message : String(err);
  const quoted = /'([^']*)'/.exec(message)?.[1] ?? '';
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${quoted} (see --help)`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument "${quoted}": every option is --name value (see --help)`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      const option = quoted.split(' ')[0];
      if (message.includes('does not take an argument')) return `${option} takes no value`;
      return `${option} needs a value`;
    }
    default:
      return message.split('\n')[0]!;
  }
}

const isWorkload = (value: string): value is (typeof WORKLOADS)[number] => (WORKLOADS as readonly string[]).includes(value);
const isWriteWorkload = (value: string): value is (typeof WRITE_WORKLOADS)[number] => (WRITE_WORKLOADS as readonly string[]).includes(value);

function positiveInteger(option: string, text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < 1) {
    throw new UsageError(`${option} must be a whole number of at least 1 (got "${text}")`);
  }
  return value;
}

function positiveNumber(option: string, text: string, unit: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value <= 0) {
    throw new UsageError(`${option} must be a positive number of ${unit} (got "${text}")`);
  }
  return value;
}

/** autocannon refuses a request timeout under 1 s. */
function timeout(text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < 1) {
    throw new UsageError(`--timeout must be a number of seconds, at least 1 (got "${text}")`);
  }
  return value;
}

function partitionName(text: string): string {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(text)) throw new UsageError(`--partition must be 1 to 64 letters, digits, '_' or '-' (got "${text}")`);
  return text;
}

function probability(text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < 0 || value > 1) {
    throw new UsageError(`--p must be a number from 0 to 1 (got "${text}")`);
  }
  return value;
}

function baseUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--url must be an http:// or https:// URL (got "${text}")`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--url must be an http:// or https:// URL (got "${text}")`);
  if (url.search || url.hash) throw new UsageError(`--url must be a base URL without ?query or #fragment (got "${text}")`);
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

function prefix(text: string): string {
  const trimmed = text.replace(/\/+$/, '');
  if (trimmed !== '' && !/^\/[\w\-./]*$/.test(trimmed)) {
    throw new UsageError(`--prefix must be empty or a path starting with / (got "${text}")`);
  }
  return trimmed;
}
