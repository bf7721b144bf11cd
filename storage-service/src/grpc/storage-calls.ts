import { Metadata, status, type sendUnaryData, type ServerUnaryCall, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { HttpProblem } from 'service-kit/problem';
import { parseInput } from 'service-kit/validation';
import type { Logger } from 'pino';
import { idempotencyKey } from '../idempotency-key.ts';
import { jsonValueProblem } from '../json-value.ts';
import { ItemBody, ItemParams, NewItemBody, OrderParams, OrderRequest, OrdersQuery, PartitionPageQuery, PartitionParams } from '../schemas.ts';
import type { Preconditions } from '../store/preconditions.ts';
import type { JsonObject, Order, Store } from '../store/store.ts';
import type { StoredBody } from '../store/stored-body.ts';
import type { FaultInjector } from '../faults.ts';
import { callFailure } from './status-codes.ts';
import { fromStruct, toStruct, type ProtoStruct } from './struct.ts';

/** What a call answers, and whether it is the kept result of an idempotency key (`idempotent-replayed: true`). */
interface Answer {
  response: object;
  replayed?: boolean;
}

const invalid = (detail: string) => new HttpProblem({ status: 400, kind: 'invalid-request', title: 'Bad Request', detail });

/** A stored object as its Struct and etag. */
const asItem = ({ bytes, etag }: StoredBody) => ({ item: toStruct(JSON.parse(bytes.toString()) as JsonObject), etag });

const toProtoOrder = (order: Order) => {
  const ms = Date.parse(order.createdAt);
  return {
    orderId: order.orderId,
    productId: order.productId,
    quantity: order.quantity,
    remaining: order.remaining,
    createdAt: { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 },
    idempotencyKey: order.idempotencyKey ?? '',
  };
};

/** proto3's zero value means "absent" for the optional paging fields: the HTTP API's query, as text. */
const pageQuery = (after: string | number, limit: number) => ({
  ...(after ? { after: String(after) } : {}),
  ...(limit ? { limit: String(limit) } : {}),
});

/** A Struct sent as an item: JSON as the HTTP API would have parsed it, within the same bounds. */
function itemOf(struct: ProtoStruct | null | undefined): JsonObject {
  const object = fromStruct(struct);
  const problem = jsonValueProblem(object);
  if (problem) throw invalid(`Invalid item: ${problem}.`);
  return object;
}

/** expected_etag as HTTP's If-Match. */
const ifMatch = (expected: string | undefined): Preconditions => (expected === undefined ? {} : { ifMatch: [expected] });

/**
 * StorageService (proto/assembly/storage/v1/storage.proto) over a Store: the HTTP API's rules, its
 * validation schemas and its idempotency, in gRPC's terms. Every answer carries `x-replica-id`; a call's
 * failure is the status code callFailure names, INTERNAL (and a log line) for anything else.
 */
export function storageCalls(store: Store, replicaId: string, logger: Logger, faults?: FaultInjector): UntypedServiceImplementation {
  const unary =
    <Request>(name: string, handle: (request: Request, metadata: Metadata) => Promise<Answer>) =>
    (call: ServerUnaryCall<Request, object>, callback: sendUnaryData<object>) => {
      const metadata = new Metadata();
      metadata.set('x-replica-id', replicaId);
      // The faults PUT /faults set, as for HTTP's data requests: a delay before any work, a share failing.
      Promise.resolve(faults?.beforeDataResponse(replicaId)).then(() => handle(call.request, call.metadata)).then(
        ({ response, replayed }) => {
          if (replayed) metadata.set('idempotent-replayed', 'true');
          call.sendMetadata(metadata);
          callback(null, response);
        },
        (err: unknown) => {
          const failure = callFailure(err);
          if (!failure) logger.error({ err, call: name }, 'gRPC call failed');
          callback({ ...(failure ?? { code: status.INTERNAL, details: 'An unexpected error occurred.' }), metadata });
        },
      );
    };
  const keyOf = (metadata: Metadata, path: string, body: unknown) => {
    const [sent, ...more] = metadata.get('idempotency-key');
    if (more.length) throw invalid('Invalid metadata: idempotency-key must be sent once.');
    return idempotencyKey(sent === undefined ? undefined : String(sent), 'metadata', 'POST', path, body);
  };

  return {
    ListPartitions: unary('ListPartitions', async () => ({ response: JSON.parse((await store.partitions()).bytes.toString()) as object })),

    ListItems: unary<{ partitionKey: string; after: string; limit: number }>('ListItems', async ({ partitionKey, after, limit }) => {
      parseInput(PartitionParams, { partitionKey }, 'request');
      const page = parseInput(PartitionPageQuery, pageQuery(after, limit), 'request');
      const { partition, ids, next } = JSON.parse((await store.partitionPage(partitionKey, page)).bytes.toString()) as { partition: string; ids: string[]; next: string | null };
      return { response: { partition, ids, next: next ?? '' } };
    }),

    GetItem: unary<{ partitionKey: string; id: string }>('GetItem', async ({ partitionKey, id }) => {
      parseInput(ItemParams, { partitionKey, id }, 'request');
      return { response: asItem(await store.item(partitionKey, id)) };
    }),

    PutItem: unary<{ partitionKey: string; id: string; item: ProtoStruct | null; expectedEtag?: string }>('PutItem', async (request) => {
      const { partitionKey, id } = parseInput(ItemParams, { partitionKey: request.partitionKey, id: request.id }, 'request');
      const object = itemOf(request.item);
      parseInput(ItemBody, object, 'item');
      if (object.id !== undefined && object.id !== id) throw invalid(`Invalid item: its "id" (${JSON.stringify(object.id)}) is not the request's id ("${id}"). Leave it out, or make it the same.`);
      const { created, item } = await store.putItem(partitionKey, id, object, ifMatch(request.expectedEtag));
      return { response: { ...asItem(item), created } };
    }),

    DeleteItem: unary<{ partitionKey: string; id: string; expectedEtag?: string }>('DeleteItem', async (request) => {
      const { partitionKey, id } = parseInput(ItemParams, { partitionKey: request.partitionKey, id: request.id }, 'request');
      await store.deleteItem(partitionKey, id, ifMatch(request.expectedEtag));
      return { response: {} };
    }),

    AppendItem: unary<{ partitionKey: string; item: ProtoStruct | null }>('AppendItem', async (request, metadata) => {
      const { partitionKey } = parseInput(PartitionParams, { partitionKey: request.partitionKey }, 'request');
      const object = itemOf(request.item);
      parseInput(NewItemBody, object, 'item');
      const { id, item, replayed } = await store.appendItem(partitionKey, object, keyOf(metadata, `/data/${partitionKey}`, object));
      return { response: { id, ...asItem(item) }, replayed };
    }),

    PlaceOrder: unary<{ productId: string; quantity: number }>('PlaceOrder', async (request, metadata) => {
      const { productId, quantity } = parseInput(OrderRequest, { productId: request.productId, quantity: request.quantity }, 'order');
      const { order, replayed } = await store.placeOrder(productId, quantity, keyOf(metadata, '/orders', { productId, quantity }));
      return { response: toProtoOrder(order), replayed };
    }),

    GetOrder: unary<{ orderId: number }>('GetOrder', async ({ orderId }) => {
      const { orderId: id } = parseInput(OrderParams, { orderId: String(orderId) }, 'request');
      return { response: toProtoOrder(JSON.parse((await store.order(id)).bytes.toString()) as Order) };
    }),

    ListOrders: unary<{ after: number; limit: number }>('ListOrders', async ({ after, limit }) => {
      const page = parseInput(OrdersQuery, pageQuery(after, limit), 'request');
      const { orders, next } = JSON.parse((await store.ordersPage(page)).bytes.toString()) as { orders: Order[]; next: number | null };
      return { response: { orders: orders.map(toProtoOrder), next: next ?? 0 } };
    }),
  };
}
