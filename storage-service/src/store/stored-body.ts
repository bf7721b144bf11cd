import { createHash } from 'node:crypto';
import type { JsonObject } from './store.ts';

/** An answer serialised once, with its strong entity tag: a read only looks a buffer up. */
export interface StoredBody {
  bytes: Buffer;
  etag: string;
}

/**
 * The tag is a digest of the bytes, not a version counter: every replica computes the same tag for the
 * same bytes, and a tag changes exactly when the answer does.
 */
export function storedBody(bytes: Buffer): StoredBody {
  return { bytes, etag: `"${createHash('sha256').update(bytes).digest('base64url').slice(0, 27)}"` };
}

/** Serialisation is deterministic (insertion order of keys), so equal values give byte-identical answers. */
export function serialise(value: unknown): StoredBody {
  return storedBody(Buffer.from(JSON.stringify(value)));
}

/**
 * The object as stored: it always carries its id, first. The API has already refused a body whose
 * `id` differs; here the id given wins. Destructuring copies keys as data, so an own `__proto__` key
 * of parsed JSON stays an ordinary key.
 */
export function serialiseItem(id: string, object: JsonObject): StoredBody {
  const { id: _replaced, ...rest } = object;
  return serialise({ id, ...rest });
}
