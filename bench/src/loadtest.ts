// The load client's command line: npm run loadtest -- [options]. See bench/README.md.
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { TargetError } from './discovery.ts';
import { parseCommandLine, UsageError, USAGE } from './options.ts';
import { runLoad } from './run-load.ts';
import { renderSummary } from './summary.ts';
import { GrpcTargetError, renderGrpcSummary, runGrpcLoad } from 'testkit/grpc-load';
import { renderWriteSummary, runWriteLoad } from 'testkit/write-load';

/** Bad options and an unusable target are the caller's to fix: one line, exit 2, no stack. */
const EXIT_USAGE = 2;
/** A write workload whose consistency check failed. */
const EXIT_INCONSISTENT = 1;

async function main(): Promise<void> {
  const commandLine = parseCommandLine(process.argv.slice(2));
  if (commandLine.help) {
    process.stdout.write(USAGE);
    return;
  }

  // Ctrl-C stops the load and still prints what ran; a second one quits at once.
  const stop = new AbortController();
  process.once('SIGINT', () => {
    stop.abort();
    process.once('SIGINT', () => process.exit(130));
  });

  let summary: object;
  if ('grpc' in commandLine) {
    const called = await runGrpcLoad({ ...commandLine.grpc, signal: stop.signal });
    process.stdout.write(renderGrpcSummary(called));
    if (called.writes && !called.writes.check.ok) process.exitCode = EXIT_INCONSISTENT;
    summary = called;
  } else if ('write' in commandLine) {
    const written = await runWriteLoad({ ...commandLine.write, signal: stop.signal });
    process.stdout.write(renderWriteSummary(written));
    if (!written.check.ok) process.exitCode = EXIT_INCONSISTENT;
    summary = written;
  } else {
    const read = await runLoad(commandLine.load, {
      // autocannon's bar redraws one line in place; in a pipe or a CI log it would only add noise.
      progress: process.stderr.isTTY ? process.stderr : undefined,
      signal: stop.signal,
    });
    process.stdout.write(renderSummary(read));
    summary = read;
  }
  if (commandLine.jsonFile) {
    // `npm run` starts scripts in the repository root; a relative --json FILE means where npm was run.
    const file = resolve(process.env.INIT_CWD ?? process.cwd(), commandLine.jsonFile);
    await writeFile(file, `${JSON.stringify(summary, null, 2)}\n`).catch((err: NodeJS.ErrnoException) => {
      throw new UsageError(`cannot write --json ${commandLine.jsonFile}: ${err.code ?? err.message}`);
    });
    process.stdout.write(`summary written to ${file}\n`);
  }
}

main().catch((err: unknown) => {
  if (err instanceof UsageError || err instanceof TargetError || err instanceof GrpcTargetError) {
    process.stderr.write(`loadtest: ${err.message}\n`);
    process.exit(EXIT_USAGE);
  }
  throw err;
});
