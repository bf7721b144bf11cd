import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { DataFile, PartitionIndex, PartitionList } from './schemas.ts';

/** A response body serialised once at load time, with its strong entity tag. */
export interface StoredBody {
  bytes: Buffer;
  etag: string;
}

export interface DataStore {
  readonly partitionList: StoredBody;
  partitionIndex(partitionKey: string): StoredBody | undefined;
  /** `undefined` when the partition or the item is unknown; `hasPartition` tells which. */
  item(partitionKey: string, id: string): StoredBody | undefined;
  hasPartition(partitionKey: string): boolean;
  readonly itemCount: number;
}

export class DataFileError extends Error {
  override name = 'DataFileError';
}

function stored(value: unknown): StoredBody {
  const bytes = Buffer.from(JSON.stringify(value));
  const etag = `"${createHash('sha256').update(bytes).digest('base64url').slice(0, 27)}"`;
  return { bytes, etag };
}

/**
 * Serialises every answer the store can give up front, so a request only looks a buffer up.
 * Serialisation is deterministic, so replicas loaded from the same file answer byte-identical bodies.
 */
export function createDataStore(data: DataFile): DataStore {
  const indexes = new Map<string, StoredBody>();
  const items = new Map<string, Map<string, StoredBody>>();
  let itemCount = 0;
  for (const [partitionKey, partition] of Object.entries(data)) {
    const ids = Object.keys(partition);
    indexes.set(partitionKey, stored(PartitionIndex.parse({ partition: partitionKey, ids })));
    items.set(partitionKey, new Map(ids.map((id) => [id, stored(partition[id])])));
    itemCount += ids.length;
  }
  const partitionList = stored(PartitionList.parse({ partitions: [...indexes.keys()] }));
  return {
    partitionList,
    partitionIndex: (partitionKey) => indexes.get(partitionKey),
    item: (partitionKey, id) => items.get(partitionKey)?.get(id),
    hasPartition: (partitionKey) => items.has(partitionKey),
    itemCount,
  };
}

/** Loads and validates the data file; failures name the file and the first offending path, never a stack. */
export async function loadDataStore(file: string): Promise<DataStore> {
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
    const path = first?.path.length ? first.path.map(String).join('.') : '(top level)';
    throw new DataFileError(
      `data file ${file} is invalid at ${path}: ${first?.message ?? 'unknown problem'}` +
        ' (expected an object of partitions, each an object of id → JSON object)',
    );
  }
  return createDataStore(parsed.data);
}
