import { ProblemSchema } from 'service-kit/problem';
import { createDocument } from 'zod-openapi';
import { z } from 'zod';
import { Health, SingleContainerReport, StatusQuery, StatusReport, UnavailableParams } from './schemas.ts';

const traceHeaders = z.object({
  'X-Request-Id': z.string().meta({ description: "The caller's X-Request-Id if sane, otherwise a new UUID." }),
});

function json(description: string, schema: z.ZodType) {
  return { description, headers: traceHeaders, content: { 'application/json': { schema } } };
}

function problem(description: string) {
  return { description, headers: traceHeaders, content: { 'application/problem+json': { schema: ProblemSchema } } };
}

/** The OpenAPI 3.1 document, generated from the same schemas that validate the queries and shape the answers. */
export function buildOpenApiDocument() {
  return createDocument({
    openapi: '3.1.0',
    info: {
      title: 'status-service',
      version: '1.0.0',
      description:
        "Which of the assembly's containers run, from the Docker Engine (discovered by the `assembly.app` label, kept live from Docker's events), and how the gateway sees them.",
    },
    paths: {
      '/status': {
        get: {
          summary: "The assembly's containers",
          description: 'With `id`, one container (`SingleContainerReport`); otherwise all, or all of one app (`StatusReport`).',
          requestParams: { query: StatusQuery },
          responses: {
            '200': {
              description: 'The live view.',
              headers: traceHeaders,
              content: { 'application/json': { schema: z.union([StatusReport, SingleContainerReport]) } },
            },
            '400': problem('A malformed query value, an unknown parameter, or an id prefix shared by several containers.'),
            '404': problem('No container has an id with that prefix.'),
            '503': problem('The Docker Engine is unreachable; `lastKnown` holds the view as last seen and `lastKnownAgeSeconds` its age.'),
          },
        },
      },
      '/status/stream': {
        get: {
          summary: 'The status report as server-sent events',
          description: 'An `event: status` with a StatusReport at once and after every change; a comment line every 15 s.',
          responses: {
            '200': { description: 'An event stream.', content: { 'text/event-stream': { schema: z.string() } } },
            '503': problem('Too many subscribers.'),
          },
        },
      },
      '/unavailable/{appName}': {
        get: {
          summary: "The gateway's answer when no replica of an app is available",
          requestParams: { path: UnavailableParams },
          responses: {
            '400': problem('Malformed app name.'),
            '503': problem('Always: no replica can answer, with the known/running/healthy counts and where to look.'),
          },
        },
      },
      '/healthz': {
        get: {
          summary: 'Health probe',
          responses: { '200': json('Serving; `degraded` while the Docker Engine is unreachable.', Health) },
        },
      },
    },
  });
}
