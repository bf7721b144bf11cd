import { readFile } from 'node:fs/promises';
import { jsonValueProblem } from './json-value.ts';
import { DataFile } from './schemas.ts';
import type { SeedData } from './store/store.ts';

export class DataFileError extends Error {
  override name = 'DataFileError';
}

function invalidAt(file: string, path: string, problem: string): DataFileError {
  return new DataFileError(
    `data file ${file} is invalid at ${path}: ${problem} (expected an object of partitions, each an object of id → JSON object)`,
  );
}

/** Reads and validates the data file the store is seeded from; failures name the file and the first offending path, never a stack. */
export async function loadDataFile(file: string): Promise<SeedData> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new DataFileError(`cannot read data file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new DataFileError(`data file ${file} is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = DataFile.safeParse(json);
  if (!parsed.success) {
    const [first] = parsed.error.issues;
    throw invalidAt(file, first?.path.length ? first.path.map(String).join('.') : '(top level)', first?.message ?? 'unknown problem');
  }
  // The parsed JSON, not zod's copy of it, which would drop an own `__proto__` key: the file is stored as written.
  const data = json as SeedData;
  for (const [partitionKey, partition] of Object.entries(data)) {
    for (const [id, object] of Object.entries(partition)) {
      const problem = object.id !== undefined && object.id !== id ? `its "id" is ${JSON.stringify(object.id)}, not its key` : jsonValueProblem(object);
      if (problem) throw invalidAt(file, `${partitionKey}.${id}`, problem);
    }
  }
  return data;
}
