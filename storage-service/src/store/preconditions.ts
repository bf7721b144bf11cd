/**
 * Conditional writes (RFC 9110 §13.1): `If-Match` protects against lost updates, `If-None-Match: *`
 * makes a PUT create-only. A condition is `*` or the entity tags as the client wrote them.
 */
export type EntityTagCondition = '*' | readonly string[];

export interface Preconditions {
  ifMatch?: EntityTagCondition;
  ifNoneMatch?: EntityTagCondition;
}

const weakless = (tag: string) => (tag.startsWith('W/') ? tag.slice(2) : tag);

/** Whether a write may proceed on an item whose current tag is `current` (undefined: the item does not exist). */
export function preconditionsHold(current: string | undefined, { ifMatch, ifNoneMatch }: Preconditions): boolean {
  if (ifMatch !== undefined) {
    if (current === undefined) return false;
    // Strong comparison: a weak tag never matches, as our tags are all strong.
    if (ifMatch !== '*' && !ifMatch.includes(current)) return false;
  }
  if (ifNoneMatch !== undefined && current !== undefined) {
    if (ifNoneMatch === '*') return false;
    // Weak comparison, as RFC 9110 prescribes for If-None-Match.
    if (ifNoneMatch.some((tag) => weakless(tag) === current)) return false;
  }
  return true;
}
