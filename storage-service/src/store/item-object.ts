import type { JsonObject } from './store.ts';

/**
 * The object as stored: it always carries its id, first. The HTTP layer has already refused a body
 * whose `id` differs; here the id given wins. Destructuring copies keys as data, so an own `__proto__`
 * key of parsed JSON stays an ordinary key.
 */
export function withId(id: string, object: JsonObject): JsonObject {
  const { id: _replaced, ...rest } = object;
  return { id, ...rest };
}
