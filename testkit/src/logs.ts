import { Writable } from 'node:stream';
import type { Logger } from 'pino';
import { createLogger } from 'service-kit/logger';

/** A service's logger whose lines are kept, parsed, for assertions on what operators would see; every level unless told. */
export function captureLogs(service: string, level = 'debug'): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: createLogger(service, level, sink), lines };
}
