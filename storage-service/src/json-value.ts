/** Deeper JSON is refused: serialising it again would exhaust the stack, and no sane document needs it. */
const MAX_JSON_DEPTH = 64;

/**
 * Why a parsed JSON value cannot be stored as it was sent, or undefined when it can. JSON.parse turns
 * a number beyond the double range (1e999) into Infinity, which JSON.stringify would write as null.
 * Walks without recursion, so a hostile nesting cannot exhaust the stack here either.
 */
export function jsonValueProblem(value: unknown): string | undefined {
  const pending: Array<[unknown, number]> = [[value, 1]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [current, depth] = next;
    if (typeof current === 'number' && !Number.isFinite(current)) return 'numbers must be within the range of a 64-bit float';
    if (typeof current !== 'object' || current === null) continue;
    if (depth > MAX_JSON_DEPTH) return `objects and arrays may be nested at most ${MAX_JSON_DEPTH} deep`;
    for (const child of Object.values(current)) pending.push([child, depth + 1]);
  }
  return undefined;
}
