import { openApiDocument, responseDeclarations, stateDependent } from 'service-kit/openapi';
import { z } from 'zod';
import { GATEWAY_ANSWER_METHODS } from './routes/gateway-answers.ts';
import { GatewayAnswerParams, Health, HistoryQuery, SingleContainerReport, StatusQuery, StatusReport, UnavailableParams, UptimeReport } from './schemas.ts';

const { headers: traceHeaders, json, problem } = responseDeclarations();

/** The gateway forwards its own answers' paths with whatever method the client used: one operation for each. */
const onEveryClientMethod = <Operation>(operation: Operation) =>
  Object.fromEntries(GATEWAY_ANSWER_METHODS.map((method) => [method.toLowerCase(), operation]));

/** The OpenAPI 3.1 document, generated from the same schemas that validate the queries and shape the answers. */
export function buildOpenApiDocument() {
  return openApiDocument(
    'status-service',
    "Which of the assembly's containers run, from the Docker Engine (discovered by the `assembly.app` label, kept live from Docker's events; in swarm mode the stack's tasks, polled, each with its node), and how the gateway sees them.",
    {
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
      '/status/history': {
        get: {
          summary: 'Uptime history: availability and incidents over a window ending now',
          description:
            'Every condition change of every container is recorded (running, exited with its code, killed, unhealthy, the gateway calling it DOWN, or not routing it) and kept for STATUS_HISTORY_DAYS; it survives a restart of the service. A container counts as up while it runs, is not unhealthy, and, where the gateway routes its app, the gateway calls it UP.',
          requestParams: { query: HistoryQuery },
          responses: {
            '200': json('The containers that existed during the window (of one app, or with an id prefix, if asked).', UptimeReport),
            '400': stateDependent(problem('A malformed query value, an unknown parameter, or a `since` in the future or older than the history.')),
          },
        },
      },
      '/status/stream': {
        get: {
          summary: 'The status report as server-sent events',
          description:
            'A stream that never ends by itself: `retry: 2000` and an `event: status` whose `data` is the StatusReport as JSON at once, the same event again after every change (a burst of changes sends one), and a `: keep-alive` comment line every 15 s.',
          responses: {
            '200': {
              description: 'An event stream (`text/event-stream`); its schema describes each event, as server-sent events before OpenAPI 3.2 do.',
              headers: traceHeaders,
              content: {
                'text/event-stream': {
                  schema: z
                    .object({
                      event: z.literal('status'),
                      // The report as one line of JSON; StatusReport is registered under its id by the /status answer.
                      data: z.string().meta({ contentMediaType: 'application/json', contentSchema: { $ref: '#/components/schemas/StatusReport' } }),
                      retry: z.int().nonnegative().optional().meta({ description: 'Reconnection delay in ms; sent with the first event only.' }),
                    })
                    .meta({ id: 'StatusEvent', description: 'One server-sent event: `event: status`, `data: <StatusReport as JSON>`.' }),
                },
              },
            },
            '503': problem('Too many subscribers.'),
          },
        },
      },
      '/unavailable/{appName}': onEveryClientMethod({
        summary: "The gateway's answer when no replica of an app is available (any method the client used; internal: only the gateway reaches it)",
        requestParams: { path: UnavailableParams },
        responses: {
          '400': problem('Malformed app name.'),
          '503': problem('Always: no replica can answer, with the known/running/healthy counts and where to look.'),
        },
      }),
      '/gateway/{status}': onEveryClientMethod({
        summary: "An answer the gateway makes itself, as problem+json (any method the client used; internal: only the gateway reaches it)",
        requestParams: { path: GatewayAnswerParams },
        responses: {
          '400': problem('A status other than 401, 404 or 429.'),
          '401': problem("The dashboard's login failed (`WWW-Authenticate`)."),
          '404': problem('No route of the gateway matches the path (`X-Replaced-Path`).'),
          '429': problem("The client's rate limit is used up, or the storage service is at the gateway's in-flight limit (`Retry-After`)."),
        },
      }),
      '/healthz': {
        get: {
          summary: 'Health probe',
          responses: { '200': json('Serving; `degraded` while the Docker Engine is unreachable.', Health) },
        },
      },
    },
  );
}
