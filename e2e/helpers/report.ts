import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from 'testkit/compose-stack';

const DIR = join(ROOT, 'test-artifacts');
const FILE = join(DIR, 'e2e-report.md');

/** Appends to test-artifacts/e2e-report.md (gitignored); each run starts with a heading. */
export function report(lines: string[]): void {
  mkdirSync(DIR, { recursive: true });
  appendFileSync(FILE, `${lines.join('\n')}\n`);
}

export const ms = (value: number): string => `${Math.round(value)} ms`;
