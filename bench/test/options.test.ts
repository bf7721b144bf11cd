import test from 'ava';
import { parseCommandLine, UsageError, type LoadOptions } from '../src/options.ts';
import type { WriteLoadOptions } from 'testkit/write-load';

const load = (argv: string[]): LoadOptions => {
  const commandLine = parseCommandLine(argv);
  if (commandLine.help || !('load' in commandLine)) throw new Error('expected a read workload');
  return commandLine.load;
};

const write = (argv: string[]): WriteLoadOptions => {
  const commandLine = parseCommandLine(argv);
  if (commandLine.help || !('write' in commandLine)) throw new Error('expected a write workload');
  return commandLine.write;
};

test('defaults: read through the gateway of .env.dev, 10 connections for 10 s, no rate limit', (t) => {
  t.deepEqual(parseCommandLine([]), {
    help: false,
    jsonFile: null,
    load: {
      workload: 'read',
      url: 'http://127.0.0.1:8081',
      prefix: '/storagesvc',
      connections: 10,
      durationSeconds: 10,
      amount: null,
      rate: null,
      p: 0.5,
      timeoutSeconds: 10,
    },
  });
});

test('the prefix follows the workload unless given; an empty prefix targets one replica directly', (t) => {
  t.is(load(['--workload', 'mixed']).prefix, '/storagesvc');
  t.is(load(['--workload', 'status']).prefix, '/statussvc');
  t.is(load(['--prefix', '']).prefix, '');
  t.is(load(['--prefix=']).prefix, '');
  t.is(load(['--prefix', '/other/']).prefix, '/other');
});

test('every option is read and converted', (t) => {
  const commandLine = parseCommandLine([
    '--workload', 'mixed', '--connections', '5', '--amount', '200', '--rate', '100', '--url', 'http://localhost:3000/',
    '--prefix', '', '--p', '0.25', '--timeout', '1.5', '--json', 'out.json',
  ]);
  t.deepEqual(commandLine, {
    help: false,
    jsonFile: 'out.json',
    load: {
      workload: 'mixed',
      url: 'http://localhost:3000',
      prefix: '',
      connections: 5,
      durationSeconds: null,
      amount: 200,
      rate: 100,
      p: 0.25,
      timeoutSeconds: 1.5,
    },
  });
});

test('--amount replaces the default duration; --duration takes fractions', (t) => {
  t.like(load(['--amount', '50']), { amount: 50, durationSeconds: null });
  t.like(load(['--duration', '0.5']), { amount: null, durationSeconds: 0.5 });
});

test('p may be 0 or 1 exactly', (t) => {
  t.is(load(['--workload', 'mixed', '--p', '0']).p, 0);
  t.is(load(['--workload', 'mixed', '--p', '1']).p, 1);
});

test('--help wins over everything else', (t) => {
  t.deepEqual(parseCommandLine(['--help']), { help: true });
  t.deepEqual(parseCommandLine(['--workload', 'mixed', '--help']), { help: true });
});

const mistakes: Array<[string[], string]> = [
  [['--p', '2'], '--p must be a number from 0 to 1 (got "2")'],
  [['--workload', 'mixed', '--p', '-0.1'], '--p must be a number from 0 to 1 (got "-0.1")'],
  [['--workload', 'mixed', '--p', 'half'], '--p must be a number from 0 to 1 (got "half")'],
  [['--p', '0.5'], '--p applies only to --workload mixed or store (got --workload read)'],
  [['--duration', '-1'], '--duration must be a positive number of seconds (got "-1")'],
  [['--duration', '0'], '--duration must be a positive number of seconds (got "0")'],
  [['--duration', 'ten'], '--duration must be a positive number of seconds (got "ten")'],
  [['--duration', '5', '--amount', '100'], 'give --duration or --amount, not both'],
  [['--amount', '1.5'], '--amount must be a whole number of at least 1 (got "1.5")'],
  [['--amount', '5'], '--amount (5) must be at least --connections (10)'],
  [['--connections', '0'], '--connections must be a whole number of at least 1 (got "0")'],
  [['--connections', 'many'], '--connections must be a whole number of at least 1 (got "many")'],
  [['--rate', '-5'], '--rate must be a whole number of at least 1 (got "-5")'],
  [['--rate', '2.5'], '--rate must be a whole number of at least 1 (got "2.5")'],
  [['--timeout', '0.5'], '--timeout must be a number of seconds, at least 1 (got "0.5")'],
  [['--workload', 'delete'], '--workload must be one of read, mixed, status, store, write (got "delete")'],
  [['--url', 'localhost:8081'], '--url must be an http:// or https:// URL (got "localhost:8081")'],
  [['--url', 'not a url'], '--url must be an http:// or https:// URL (got "not a url")'],
  [['--url', 'http://127.0.0.1:8081/?x=1'], '--url must be a base URL without ?query or #fragment (got "http://127.0.0.1:8081/?x=1")'],
  [['--prefix', 'storagesvc'], '--prefix must be empty or a path starting with / (got "storagesvc")'],
  [['--json', ''], '--json needs a file name'],
  [['--verbose'], 'unknown option --verbose (see --help)'],
  [['-c', '5'], 'unknown option -c (see --help)'],
  [['read'], 'unexpected argument "read": every option is --name value (see --help)'],
  [['--duration'], '--duration needs a value'],
  [['--url', '--amount', '10'], '--url needs a value'],
  [['--help=yes'], '--help takes no value'],
];
for (const [argv, message] of mistakes) {
  test(`refused with one line: ${argv.join(' ')}`, (t) => {
    const error = t.throws(() => parseCommandLine(argv), { instanceOf: UsageError });
    t.is(error?.message, message);
  });
}

test('store and write: virtual users for a duration, through the gateway, with --p for store and --partition for write', (t) => {
  t.deepEqual(write(['--workload', 'store', '--p', '0.3', '--connections', '20', '--duration', '5']), {
    workload: 'store',
    base: 'http://127.0.0.1:8081/storagesvc',
    users: 20,
    durationSeconds: 5,
    p: 0.3,
    timeoutSeconds: 10,
  });
  t.like(write(['--workload', 'write', '--partition', 'messages', '--url', 'http://10.0.0.1:3000', '--prefix', '']), {
    workload: 'write',
    base: 'http://10.0.0.1:3000',
    partition: 'messages',
    users: 10,
    durationSeconds: 10,
  });
});

test('store and write refuse what does not apply to them, in one line each', (t) => {
  const refused = (argv: string[]) => t.throws(() => parseCommandLine(argv), { instanceOf: UsageError })?.message;
  t.regex(refused(['--workload', 'store', '--amount', '100']) ?? '', /--amount and --rate do not apply/);
  t.regex(refused(['--workload', 'write', '--rate', '100']) ?? '', /--amount and --rate do not apply/);
  t.regex(refused(['--workload', 'write', '--p', '0.5']) ?? '', /--p applies only to --workload mixed or store/);
  t.regex(refused(['--workload', 'store', '--partition', 'x']) ?? '', /--partition applies only to --workload write/);
  t.regex(refused(['--workload', 'write', '--partition', 'no/slash']) ?? '', /--partition must be/);
});

test('--transport grpc: the storage workloads as gRPC calls to the URL\'s host and port, with a deadline per call', (t) => {
  const grpc = (argv: string[]) => {
    const parsed = parseCommandLine(argv);
    if (!('grpc' in parsed)) throw new Error('not a gRPC load');
    return parsed.grpc;
  };
  t.deepEqual(grpc(['--transport', 'grpc']), { workload: 'read', address: '127.0.0.1:8081', tls: false, concurrency: 10, durationSeconds: 10, amount: null, deadlineMs: 2000, p: 0.5 });
  t.like(grpc(['--transport', 'grpc', '--url', 'https://localhost:8443', '--workload', 'store', '--deadline-ms', '300', '--amount', '50']), {
    workload: 'store',
    address: 'localhost:8443',
    tls: true,
    deadlineMs: 300,
    amount: 50,
    durationSeconds: null,
  });
  t.like(grpc(['--transport', 'grpc', '--url', 'http://10.0.0.5', '--workload', 'write', '--partition', 'messages']), { address: '10.0.0.5:80', partition: 'messages' });
});

test('--transport grpc refuses what has no meaning over gRPC, in one line each', (t) => {
  const refused = (argv: string[]) => t.throws(() => parseCommandLine(argv), { instanceOf: UsageError })?.message;
  t.is(refused(['--transport', 'grpc', '--workload', 'status']), '--workload status has no gRPC API: it reads the status service over HTTP');
  t.is(refused(['--transport', 'grpc', '--prefix', '/storagesvc']), '--prefix applies only to --transport http');
  t.is(refused(['--transport', 'grpc', '--rate', '100']), '--rate applies only to --transport http');
  t.is(refused(['--transport', 'grpc', '--timeout', '5']), '--timeout applies only to --transport http (over gRPC: --deadline-ms)');
  t.is(refused(['--transport', 'grpc', '--url', 'http://127.0.0.1:8081/storagesvc']), '--url over gRPC is an origin, without a path (got "http://127.0.0.1:8081/storagesvc")');
  t.is(refused(['--transport', 'grpc', '--deadline-ms', '0']), '--deadline-ms must be a whole number of at least 1 (got "0")');
  t.is(refused(['--deadline-ms', '100']), '--deadline-ms applies only to --transport grpc (over HTTP: --timeout)');
  t.is(refused(['--transport', 'udp']), '--transport must be one of http, grpc (got "udp")');
});
