import { z } from 'zod';
import { createDocument, type ZodOpenApiPathsObject } from 'zod-openapi';
import { PROBLEM_CONTENT_TYPE, ProblemSchema } from './problem.ts';

const REQUEST_ID_HEADER = {
  'X-Request-Id': z.string().meta({ description: "The caller's X-Request-Id if sane, otherwise a new UUID." }),
};

/**
 * Response declarations whose headers are those every answer of the service carries: `X-Request-Id`
 * and the service's own (`serviceHeaders`, listed first).
 */
export function responseDeclarations(serviceHeaders: Record<string, z.ZodType> = {}) {
  const headers = z.object({ ...serviceHeaders, ...REQUEST_ID_HEADER });
  return {
    headers,
    json: (description: string, schema: z.ZodType) => ({ description, headers, content: { 'application/json': { schema } } }),
    problem: (description: string) => ({ description, headers, content: { [PROBLEM_CONTENT_TYPE]: { schema: ProblemSchema } } }),
  };
}

/**
 * Marks an answer that a request valid by the document can get because of what came before it (an item
 * changed since the client read it, a key already used, a page cursor since deleted) or of the clock (a
 * time that is not yet, or no longer kept), so that tools checking "valid requests are accepted"
 * (.ci/fuzz.sh) allow it where it is declared.
 */
export const stateDependent = <Response extends object>(response: Response) => ({ ...response, 'x-state-dependent': true });

/** An OpenAPI 3.1 document of the service's paths, generated from the zod schemas they name. */
export function openApiDocument(title: string, description: string, paths: ZodOpenApiPathsObject) {
  return createDocument({ openapi: '3.1.0', info: { title, version: '1.0.0', description }, paths });
}
