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

/** Path and query values arrive as text; this one must be a decimal integer written plainly (no sign, no leading zero, no exponent). */
function decimalInteger({ min, max, description }: { min: number; max: number; description: string }) {
  return z
    .string()
    .regex(/^(0|[1-9][0-9]{0,14})$/, `must be an integer from ${min} to ${max}`)
    .transform(Number)
    .pipe(z.int().min(min, `must be an integer from ${min} to ${max}`).max(max, `must be an integer from ${min} to ${max}`))
    .meta({
      description,
      // Documented as the integer it is, not as the text it arrives as.
      override: ({ jsonSchema }) => {
        for (const key of Object.keys(jsonSchema)) delete jsonSchema[key as keyof typeof jsonSchema];
        Object.assign(jsonSchema, { type: 'integer', minimum: min, maximum: max, description });
      },
    });
}

/** The largest id a 15-digit decimal can write: well within a double's exact integers. */
const MAX_ORDER_ID = 999_999_999_999_999;

const PAGE_LIMIT_DEFAULT = 100;
const PAGE_LIMIT_MAX = 1000;

const PageLimit = decimalInteger({
  min: 1,
  max: PAGE_LIMIT_MAX,
  description: `How many to answer at most (default ${PAGE_LIMIT_DEFAULT}, at most ${PAGE_LIMIT_MAX}).`,
})
  .optional()
  .transform((limit) => limit ?? PAGE_LIMIT_DEFAULT);

/** A stored object as answered: it always carries its `id`. */
export const StoredItem = z
  .looseObject({ id: ItemId })
  .meta({ id: 'StoredItem', description: 'A stored JSON object, always with its `id`; answered exactly as stored.' });

export const ItemBody = z.record(z.string(), z.unknown()).meta({
  id: 'ItemBody',
  description:
    'Any JSON object (numbers within the double range, nested at most 64 deep). An `id` field, if present, must equal the id of the path; the stored object always carries it.',
  example: { name: 'Milk frother', quantity: 7 },
});

export const NewItemBody = z.looseObject({ id: z.never('the service assigns the id of a POSTed object; PUT /data/{partitionKey}/{id} chooses it').optional() }).meta({
  id: 'NewItemBody',
  description: 'Any JSON object without an `id` (the service assigns one); numbers within the double range, nested at most 64 deep.',
  example: { text: 'hello' },
});

export const DataFile = z.record(PartitionKey, z.record(ItemId, z.record(z.string(), z.unknown())));
export type DataFile = z.infer<typeof DataFile>;

export const PartitionParams = z.object({ partitionKey: PartitionKey });
export const ItemParams = z.object({ partitionKey: PartitionKey, id: ItemId });

export const PartitionPageQuery = z.object({
  limit: PageLimit,
  after: ItemId.optional().meta({ description: 'The last id of the previous page (its `next`); the first page without it.' }),
});

export const PartitionList = z
  .object({ partitions: z.array(PartitionKey) })
  .meta({ id: 'PartitionList', example: { partitions: ['products', 'users', 'purchases'] } });

export const PartitionIndex = z
  .object({
    partition: PartitionKey,
    ids: z.array(ItemId).meta({ description: 'In insertion order.' }),
    next: ItemId.nullable().meta({ description: 'The `after` of the next page; null on the last page.' }),
  })
  .meta({ id: 'PartitionIndex', example: { partition: 'products', ids: ['p-1001', 'p-1002'], next: 'p-1002' } });

const IdempotencyKey = z
  .string()
  .regex(
    /^[\x21-\x7E](?:[\x20-\x7E]{0,253}[\x21-\x7E])?$/,
    'must be 1 to 255 printable ASCII characters, spaces only inside',
  )
  .meta({
    description:
      'Makes the POST safe to retry: a repeat with the same key, method, path and body gets the first answer again (with `Idempotent-Replayed: true`) and has no second effect. 1 to 255 printable ASCII characters, spaces only inside; kept 24 hours by default.',
    example: '8e03978e-40d5-43e8-bc93-6894a57f9324',
  });

export const IdempotencyHeaders = z.object({ 'Idempotency-Key': IdempotencyKey.optional() });

const OrderId = decimalInteger({ min: 1, max: MAX_ORDER_ID, description: 'An order id, as answered when the order was placed.' });
export const OrderParams = z.object({ orderId: OrderId });

export const OrdersQuery = z.object({
  limit: PageLimit,
  after: decimalInteger({ min: 0, max: MAX_ORDER_ID, description: 'The last order id of the previous page (its `next`); the first page without it.' }).optional(),
});

export const OrderRequest = z
  .strictObject({
    productId: ItemId.meta({ description: 'An item of the `products` partition.' }),
    quantity: z
      .int('must be an integer of at least 1')
      .min(1, 'must be an integer of at least 1')
      .meta({ description: "Taken from the product's `quantity` (its stock)." }),
  })
  .meta({ id: 'OrderRequest', example: { productId: 'p-1001', quantity: 2 } });

export const Order = z
  .object({
    orderId: z.int().min(1).max(MAX_ORDER_ID).meta({ description: 'Increases strictly, without gaps, in the order orders were placed.' }),
    productId: ItemId,
    quantity: z.int().min(1),
    remaining: z.int().min(0).meta({ description: "The product's stock right after this order." }),
    createdAt: z.iso.datetime(),
    idempotencyKey: IdempotencyKey.nullable().meta({ description: 'The Idempotency-Key the order was placed with; null without one.' }),
  })
  .meta({
    id: 'Order',
    example: { orderId: 1, productId: 'p-1001', quantity: 2, remaining: 80, createdAt: '2026-01-01T12:00:00.000Z', idempotencyKey: null },
  });

export const OrderPage = z
  .object({
    orders: z.array(Order).meta({ description: 'In the order they were placed.' }),
    next: z.int().min(1).max(MAX_ORDER_ID).nullable().meta({ description: 'The `after` of the next page; null on the last page.' }),
  })
  .meta({ id: 'OrderPage' });

export const Health = z
  .object({
    status: z.enum(['ok', 'unhealthy', 'draining']).meta({
      description: '`draining` from SIGTERM until the replica closes (SHUTDOWN_DRAIN_MS): it still serves, and the gateway stops sending it requests.',
    }),
    replica: z.string(),
    uptimeSeconds: z.number().nonnegative(),
    store: z.enum(['reachable', 'unreachable']).meta({ description: 'Whether the store answered this probe; unreachable makes the replica unhealthy.' }),
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
