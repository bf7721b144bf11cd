import { createHash } from 'node:crypto';

/** An answer serialised once, with its strong entity tag: a read only looks a buffer up. */
export interface StoredBody {
  bytes: Buffer;
  etag: string;
}

/**
 * Serialisation is deterministic (insertion order of keys), so equal values give byte-identical answers.
 * The tag is a digest of the bytes, not a version counter: every replica computes the same tag for the
 * same bytes, and a tag changes exactly when the answer does.
 */
export function serialise(value: unknown): StoredBody {
  const bytes = Buffer.from(JSON.stringify(value));
  return { bytes, etag: `"${createHash('sha256').update(bytes).digest('base64url').slice(0, 27)}"` };
}
