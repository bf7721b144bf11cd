import { z } from 'zod';
import 'zod-openapi';

/** The one definition of every shape the service reads or answers: validation, types and OpenAPI come from here. */

export const PartitionKey = z
  .string()
  .max(64, 'must be at most 64 characters')
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, "must be letters, digits, '_' or '-', starting with a letter or digit")
  .meta({ id: 'PartitionKey', description: 'Name of a partition.', example: 'products' });

export const ItemId = z
  .string()
  .max(128, 'must be at most 128 characters')
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "must be letters, digits, '.', '_' or '-', starting with a letter or digit")
  .meta({ id: 'ItemId', description: 'Id of an item within its partition.', example: 'p-1001' });

export const StoredItem = z
  .record(z.string(), z.unknown())
  .meta({ id: 'StoredItem', description: 'A stored JSON object, returned exactly as loaded.' });

export const DataFile = z.record(PartitionKey, z.record(ItemId, StoredItem));
export type DataFile = z.infer<typeof DataFile>;

export const PartitionParams = z.object({ partitionKey: PartitionKey });
export const ItemParams = z.object({ partitionKey: PartitionKey, id: ItemId });

export const PartitionList = z
  .object({ partitions: z.array(PartitionKey) })
  .meta({ id: 'PartitionList', example: { partitions: ['orders', 'products', 'users'] } });

export const PartitionIndex = z
  .object({ partition: PartitionKey, ids: z.array(ItemId) })
  .meta({ id: 'PartitionIndex', example: { partition: 'products', ids: ['p-1001', 'p-1002'] } });

export const Health = z
  .object({
    status: z.enum(['ok', 'unhealthy']),
    replica: z.string(),
    uptimeSeconds: z.number().nonnegative(),
  })
  .meta({ id: 'Health' });
export type Health = z.output<typeof Health>;

export const Faults = z
  .strictObject({
    delayMs: z.int().min(0).max(60_000).default(0).meta({ description: 'Delay added to every /data response.' }),
    failRate: z.number().min(0).max(1).default(0).meta({ description: 'Share of /data requests answered with 500.' }),
    unhealthy: z.boolean().default(false).meta({ description: 'Make /healthz answer 503.' }),
  })
  .meta({ id: 'Faults', description: 'Faults injected into this replica; omitted fields are switched off.' });
export type Faults = z.output<typeof Faults>;
