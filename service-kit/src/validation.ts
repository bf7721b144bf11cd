import type { z } from 'zod';
import { HttpProblem } from './problem.ts';

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  object: 'a JSON object',
  array: 'an array',
};

const quoted = (values: readonly unknown[]) => values.map((value) => JSON.stringify(value)).join(', ');

/**
 * An issue as the end of a sentence that starts with the field's name ("quantity must be an integer"),
 * for the issues clients make most; a schema's own message wins over these, and zod's stays for the rest.
 */
function sentence(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? 'is required' : `must be ${TYPE_NAMES[issue.expected] ?? issue.expected}`;
    case 'too_small':
    case 'too_big': {
      const bound = issue.code === 'too_small' ? `at least ${issue.minimum}` : `at most ${issue.maximum}`;
      if (issue.origin === 'string') return `must be ${bound} characters long`;
      if (issue.origin === 'array') return `must have ${bound} items`;
      return `must be ${bound}`;
    }
    case 'invalid_value':
      return `must be one of ${quoted(issue.values)}`;
    case 'unrecognized_keys':
      return `has ${issue.keys.length === 1 ? 'an unknown field' : 'unknown fields'} ${quoted(issue.keys)}`;
    default:
      return undefined;
  }
}

/** Parses client input with its schema; a mismatch is the client's mistake, answered as 400 with every issue, in sentences. */
export function parseInput<Schema extends z.ZodType>(schema: Schema, input: unknown, what: string): z.output<Schema> {
  const parsed = schema.safeParse(input, { error: sentence });
  if (parsed.success) return parsed.data;
  const errors = parsed.error.issues.map((issue) => ({
    path: issue.path.map(String).join('.'),
    message: issue.message,
  }));
  throw invalidInput(what, errors);
}

/**
 * The 400 problem for client input that is wrong, each error a sentence about its field (`path`, dotted;
 * empty for the input as a whole): parseInput's answer, and a route's own for what a schema cannot know.
 */
export function invalidInput(what: string, errors: Array<{ path: string; message: string }>): HttpProblem {
  return new HttpProblem({
    status: 400,
    kind: 'invalid-request',
    title: 'Bad Request',
    // A top-level issue has no field to start its sentence: the input it is about does.
    detail: `Invalid ${what}: ${errors.map((e) => `${e.path || `the ${what}`} ${e.message}`).join('; ')}.`,
    extensions: { errors },
  });
}
