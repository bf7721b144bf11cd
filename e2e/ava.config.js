// The end-to-end suite: `npm run test:e2e` (ava --config e2e/ava.config.js). It builds and runs the whole
// assembly with Docker Compose, so it is kept apart from `npm test`.
export default {
  files: ['e2e/**/*.e2e.ts'],
  extensions: { ts: 'module' },
  // One stack, scenarios in order: each leaves it as it found it.
  serial: true,
  concurrency: 1,
  // Child processes, so a Ctrl-C reaches the worker and its teardown handler (see helpers/stack.ts).
  workerThreads: false,
  timeout: '5m',
  verbose: true,
};
