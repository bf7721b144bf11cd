import { openApiDocument, responseDeclarations } from 'service-kit/openapi';
import { z } from 'zod';
import { Faults, Health, ItemParams, PartitionIndex, PartitionList, PartitionParams, StoredItem } from './schemas.ts';

const { json, problem } = responseDeclarations({
  'X-Replica-Id': z.string().meta({ description: 'The replica that answered.' }),
});

const dataErrors = {
  '500': problem('Unexpected error, or a fault injected on purpose.'),
};

/** The OpenAPI 3.1 document, generated from the same schemas that validate requests and stored data. */
export function buildOpenApiDocument(options: { faultsEnabled: boolean }) {
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
  return openApiDocument(
    'storage-service',
    'A read-only storage replica. Every replica loads the same file and answers byte-identical bodies.',
    {
      '/data': {
        get: { summary: 'List partitions', responses: { '200': json('Partition keys.', PartitionList), ...dataErrors } },
      },
      '/data/{partitionKey}': {
        get: {
          summary: 'List the ids in a partition',
          requestParams: { path: PartitionParams },
          responses: {
            '200': json('Ids of the partition.', PartitionIndex),
            '400': problem('Malformed partition key.'),
            '404': problem('Unknown partition.'),
            ...dataErrors,
          },
        },
      },
      '/data/{partitionKey}/{id}': {
        get: {
          summary: 'Read one stored object',
          requestParams: { path: ItemParams },
          responses: {
            '200': json('The stored object, exactly as loaded.', StoredItem),
            '400': problem('Malformed partition key or id.'),
            '404': problem('Unknown partition or id.'),
            ...dataErrors,
          },
        },
      },
      '/healthz': {
        get: {
          summary: 'Health probe',
          responses: { '200': json('Healthy.', Health), '503': json('Unhealthy (injected fault).', Health) },
        },
      },
      ...(options.faultsEnabled ? faultPaths : {}),
    },
  );
}
