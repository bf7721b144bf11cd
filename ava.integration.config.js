// The integration suite: `npm run test:integration`. Its tests need a real Docker Engine, a browser
// (Debian's Chromium) or real time (a delay, a deadline, how fast a change shows), so they are kept
// apart from `npm test`, whose tests assert no timing. Each workspace keeps them in test/integration/.
export default {
  files: [
    'storage-service/test/integration/**/*.test.ts',
    'status-service/test/integration/**/*.test.ts',
    'testkit/test/integration/**/*.test.ts',
  ],
  extensions: { ts: 'module' },
  // Timings are what these tests check: few files at once, so they do not measure a crowded machine.
  concurrency: 2,
  timeout: '2m',
};
