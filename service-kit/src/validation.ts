import type { z } from 'zod';
import { HttpProblem } from './problem.ts';

/** Parses client input with its schema; a mismatch is the client's mistake, answered as 400 with every issue. */
export function parseInput<Schema extends z.ZodType>(schema: Schema, input: unknown, what: string): z.output<Schema> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const errors = parsed.error.issues.map((issue) => ({
    path: issue.path.map(String).join('.'),
    message: issue.message,
  }));
  throw new HttpProblem({
    status: 400,
    kind: 'invalid-request',
    title: 'Bad Request',
    detail: `Invalid ${what}: ${errors.map((e) => (e.path ? `${e.path} ${e.message}` : e.message)).join('; ')}.`,
    extensions: { errors },
  });
}
