import { openApiDocument, responseDeclarations, stateDependent } from 'service-kit/openapi';
import { PROBLEM_CONTENT_TYPE, ProblemSchema } from 'service-kit/problem';
import { z } from 'zod';
import type { ZodOpenApiOperationObject, ZodOpenApiParameters, ZodOpenApiResponsesObject } from 'zod-openapi';
import {
  Faults,
  Health,
  IdempotencyHeaders,
  ItemBody,
  ItemParams,
  NewItemBody,
  Order,
  OrderPage,
  OrderParams,
  OrderRequest,
  OrdersQuery,
  PartitionIndex,
  PartitionList,
  PartitionPageQuery,
  PartitionParams,
  StoredItem,
} from './schemas.ts';

const { headers, json, problem } = responseDeclarations({
  'X-Replica-Id': z.string().meta({ description: 'The replica that answered.' }),
});

const ETag = z
  .string()
  .regex(/^"[A-Za-z0-9_-]{27}"$/)
  .meta({ description: 'Strong entity tag of the answer: a digest of its bytes, so it changes exactly when the answer does.' });
const Location = z.string().meta({ description: 'Path of what was created; behind the gateway, with its prefix.' });
const IdempotentReplayed = z
  .literal('true')
  .optional()
  .meta({ description: 'Only on a replay: a request with the same Idempotency-Key had this answer, and the effect, before.' });
const RetryAfter = z.string().meta({ description: 'Seconds to wait before retrying.' });

const ConditionalReadHeaders = z.object({
  'If-None-Match': z.string().optional().meta({ description: 'ETags the client holds: 304 without a body when one is current.' }),
});
const ConditionalWriteHeaders = z.object({
  'If-Match': z.string().optional().meta({ description: 'Write only if the item exists and its ETag is one of these (`*`: if it exists), else 412.' }),
  'If-None-Match': z.string().optional().meta({ description: '`*`: create only, 412 if the item exists; ETags: 412 if the item has one of them.' }),
});
const ConditionalDeleteHeaders = ConditionalWriteHeaders.pick({ 'If-Match': true });

const withHeaders = (extra: Record<string, z.ZodType>) => headers.extend(extra);

const stored = (description: string, schema: z.ZodType) => ({
  description,
  headers: withHeaders({ ETag }),
  content: { 'application/json': { schema } },
});
const notModified = { description: 'Not Modified: the If-None-Match names the current ETag.', headers: withHeaders({ ETag }) };
const created = (description: string, schema: z.ZodType) => ({
  description,
  headers: withHeaders({ Location, ETag, 'Idempotent-Replayed': IdempotentReplayed }),
  content: { 'application/json': { schema } },
});

const storeUnavailable = {
  description:
    'The store cannot serve the request right now (SQLite: its write lock stayed taken past the busy timeout; PostgreSQL: unreachable or too slow). Retry after Retry-After; retry a POST with the same Idempotency-Key.',
  headers: withHeaders({ 'Retry-After': RetryAfter }),
  content: { [PROBLEM_CONTENT_TYPE]: { schema: ProblemSchema } },
};

/** The answers every read of the store may give besides its own. */
const readErrors = {
  '500': problem('Unexpected error, or a fault injected on purpose.'),
  '503': storeUnavailable,
};

/**
 * A read of stored data: its answer with the ETag (200), 304 when the client's copy is current, the
 * read's own refusals, and what every read may answer.
 */
function storedRead(
  summary: string,
  params: Pick<ZodOpenApiParameters, 'path' | 'query'>,
  answer: ReturnType<typeof stored>,
  refusals: ZodOpenApiResponsesObject = {},
): ZodOpenApiOperationObject {
  return {
    summary,
    requestParams: { ...params, header: ConditionalReadHeaders },
    responses: { '200': answer, '304': notModified, ...refusals, ...readErrors },
  };
}

/** The answers every write may give besides its own. */
function writeErrors(bodyLimitBytes: number) {
  return {
    '413': problem(`The body is larger than ${bodyLimitBytes} bytes.`),
    '415': problem('The body is not `application/json` (UTF-8, no content coding).'),
    '500': problem('Unexpected error, or a fault injected on purpose.'),
    '503': storeUnavailable,
  };
}

const idempotencyErrors = {
  '409': problem(
    'A request with the same Idempotency-Key is still in progress (`Retry-After`). Only with PostgreSQL: with SQLite the key, the effect and the result commit under one write lock, so a duplicate waits for it and gets the replay.',
  ),
  '422': stateDependent(problem('The Idempotency-Key was already used on this route for a request with another body.')),
};

/** The OpenAPI 3.1 document, generated from the same schemas that validate requests and stored data. */
export function buildOpenApiDocument(options: { faultsEnabled: boolean; bodyLimitBytes: number }) {
  const faultPaths = {
    '/faults': {
      get: { summary: 'Faults currently injected', responses: { '200': json('Current faults.', Faults) } },
      put: {
        summary: 'Inject faults (replaces the current ones)',
        requestBody: { content: { 'application/json': { schema: Faults } } },
        responses: {
          '200': json('Faults now in force.', Faults),
          '400': problem('Body is not valid JSON or not a valid faults object.'),
          '415': problem('Body is not JSON.'),
        },
      },
      delete: { summary: 'Clear all faults', responses: { '200': json('No faults.', Faults) } },
    },
  };
  const writeProblems = writeErrors(options.bodyLimitBytes);
  /** A write with a JSON body: its own answers, then what every write may answer. */
  const jsonWrite = (summary: string, requestParams: ZodOpenApiParameters, body: z.ZodType, responses: ZodOpenApiResponsesObject): ZodOpenApiOperationObject => ({
    summary,
    requestParams,
    requestBody: { required: true, content: { 'application/json': { schema: body } } },
    responses: { ...responses, ...writeProblems },
  });
  return openApiDocument(
    'storage-service',
    'A storage replica. Every replica uses the same store (one SQLite file, or one PostgreSQL database): a write through one is read through any other. ' +
      'Reads answer strong ETags (304 on If-None-Match); writes take If-Match / If-None-Match; every POST takes an Idempotency-Key.',
    {
      '/data': {
        get: storedRead('List partitions', {}, stored('Partition keys, oldest partition first.', PartitionList)),
      },
      '/data/{partitionKey}': {
        get: storedRead(
          'List the ids in a partition, a page at a time',
          { path: PartitionParams, query: PartitionPageQuery },
          stored('Ids of the partition in insertion order, and the `after` of the next page.', PartitionIndex),
          {
            '400': stateDependent(problem('Malformed partition key, limit or after; or an `after` the partition does not hold (any more).')),
            '404': problem('Unknown partition.'),
          },
        ),
        post: jsonWrite('Append an object under a new id (a message log)', { path: PartitionParams, header: IdempotencyHeaders }, NewItemBody, {
          '201': created('Appended: the stored object, with the id the service assigned.', StoredItem),
          '400': problem('Malformed partition key, Idempotency-Key or JSON; a body that is not an object, or that has an `id`.'),
          ...idempotencyErrors,
        }),
      },
      '/data/{partitionKey}/{id}': {
        get: storedRead('Read one stored object', { path: ItemParams }, stored('The stored object.', StoredItem), {
          '400': problem('Malformed partition key or id.'),
          '404': problem('Unknown partition or id.'),
        }),
        put: jsonWrite('Create or replace one object', { path: ItemParams, header: ConditionalWriteHeaders }, ItemBody, {
          '200': stored('Replaced: the stored object.', StoredItem),
          '201': stored('Created: the stored object.', StoredItem),
          '400': problem('Malformed partition key, id or JSON; a body that is not an object, or whose `id` is not the id of the path.'),
          '412': stateDependent(problem('If-Match or If-None-Match does not hold; nothing was written.')),
        }),
        delete: {
          summary: 'Delete one object (the partition goes with its last one)',
          requestParams: { path: ItemParams, header: ConditionalDeleteHeaders },
          responses: {
            '204': { description: 'Deleted.', headers },
            '400': problem('Malformed partition key or id.'),
            '404': problem('Unknown partition or id.'),
            '412': stateDependent(problem('If-Match does not hold; nothing was deleted.')),
            '500': writeProblems['500'],
            '503': writeProblems['503'],
          },
        },
      },
      '/orders': {
        post: jsonWrite(
          'Order a product: take from its stock and append to the order log, at once or not at all',
          { header: IdempotencyHeaders },
          OrderRequest,
          {
            '201': created('Ordered: the order, with the stock that remains.', Order),
            '400': problem('Malformed JSON or Idempotency-Key; missing or unknown fields; a quantity that is not an integer of at least 1.'),
            '404': problem('No such product in the `products` partition.'),
            '409': problem(
              'Not enough stock (`available` says how much there is; nothing was taken, and the Idempotency-Key stays unused). ' +
                'Or a request with the same Idempotency-Key is still in progress (`Retry-After`; only with PostgreSQL).',
            ),
            '422': idempotencyErrors['422'],
          },
        ),
        get: storedRead(
          'The order log, a page at a time',
          { query: OrdersQuery },
          stored('Orders in the order they were placed, and the `after` of the next page.', OrderPage),
          { '400': problem('Malformed limit or after.') },
        ),
      },
      '/orders/{orderId}': {
        get: storedRead('Read one order', { path: OrderParams }, stored('The order.', Order), {
          '400': problem('The order id is not a positive integer.'),
          '404': problem('No such order.'),
        }),
      },
      '/healthz': {
        get: {
          summary: 'Health probe',
          responses: { '200': json('Healthy.', Health), '503': json('Unhealthy: the store is unreachable, or a fault was injected.', Health) },
        },
      },
      ...(options.faultsEnabled ? faultPaths : {}),
    },
  );
}
