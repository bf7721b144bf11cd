import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { loadPackageDefinition, Server, ServerCredentials, type ServiceDefinition } from '@grpc/grpc-js';
import { loadSync, type PackageDefinition } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation } from 'grpc-health-check';
import type { Logger } from 'pino';
import type { FaultInjector } from '../faults.ts';
import type { Store } from '../store/store.ts';
import { storageCalls } from './storage-calls.ts';

/** The repository's proto folder (in the image: /app/proto), where the service's contract is. */
export const PROTO_ROOT = fileURLToPath(new URL('../../../proto/', import.meta.url));
export const STORAGE_PROTO = 'assembly/storage/v1/storage.proto';
export const STORAGE_SERVICE = 'assembly.storage.v1.StorageService';
/** `npm run proto` builds it from STORAGE_PROTO (buf build): the files as written, with the google.protobuf ones they import. */
export const DESCRIPTOR_SET = `${PROTO_ROOT}storage.binpb`;

/**
 * The proto, loaded at run time (proto-loader): no generated code to keep in step with it. Field names
 * in lowerCamelCase as protobuf's JSON mapping writes them, 64-bit integers as numbers (ids stay within
 * a double's exact integers), and `kind` naming the field a google.protobuf.Value has set.
 */
export function loadStorageProto(): PackageDefinition {
  return loadSync(STORAGE_PROTO, { includeDirs: [PROTO_ROOT], longs: Number, enums: String, defaults: true, oneofs: true });
}

const { FileDescriptorSet, FileDescriptorProto } = createRequire(import.meta.url)('protobufjs/ext/descriptor') as {
  FileDescriptorSet: { decode(bytes: Uint8Array): { file: object[] } };
  FileDescriptorProto: { encode(file: object): { finish(): Uint8Array } };
};

/**
 * What server reflection hands clients: the files of the descriptor set, as written and with their
 * imports declared. proto-loader's own descriptors of a loaded .proto are rebuilt by package
 * (`assembly_storage_v1.proto`) and list no imports, so a client that builds them (grpcurl) cannot
 * resolve google.protobuf.Struct (grpc-node issue 2595). ReflectionService reads only
 * `fileDescriptorProtos` of a definition.
 */
function reflectedFiles(): PackageDefinition {
  const { file } = FileDescriptorSet.decode(readFileSync(DESCRIPTOR_SET));
  const fileDescriptorProtos = file.map((each) => Buffer.from(FileDescriptorProto.encode(each).finish()));
  return { [STORAGE_SERVICE]: { format: 'Protocol Buffer 3 FileDescriptorProto', type: {}, fileDescriptorProtos } } as unknown as PackageDefinition;
}

type Loaded = { assembly: { storage: { v1: { StorageService: { service: ServiceDefinition } } } } };

export interface GrpcServerOptions {
  store: Store;
  replicaId: string;
  logger: Logger;
  /** 0: any free port. */
  port: number;
  /** Whether the replica serves now (its store answers, it is not draining): grpc.health.v1 says so. */
  ready: () => Promise<boolean>;
  /** Present only when fault injection is enabled: its delay and failures apply to StorageService's calls. */
  faults?: FaultInjector;
  /** How often `ready` is asked. */
  healthIntervalMs?: number;
}

export interface GrpcServer {
  port: number;
  /** Refuses new calls, lets those in flight finish, then closes. */
  close(): Promise<void>;
}

/**
 * StorageService, grpc.health.v1.Health and server reflection on `port`, over h2c (gRPC without TLS:
 * the gateway terminates TLS, and the replicas' network is internal).
 */
export async function startGrpcServer({ store, replicaId, logger, port, ready, faults, healthIntervalMs = 1_000 }: GrpcServerOptions): Promise<GrpcServer> {
  const definition = loadStorageProto();
  const server = new Server();
  server.addService((loadPackageDefinition(definition) as unknown as Loaded).assembly.storage.v1.StorageService.service, storageCalls(store, replicaId, logger, faults));
  new ReflectionService(reflectedFiles()).addToServer(server);

  // '' is the whole server, by the health protocol's convention; both follow `ready`.
  const health = new HealthImplementation({ '': 'NOT_SERVING', [STORAGE_SERVICE]: 'NOT_SERVING' });
  health.addToServer(server);
  const check = async () => {
    const status = (await ready().catch(() => false)) ? 'SERVING' : 'NOT_SERVING';
    health.setStatus('', status);
    health.setStatus(STORAGE_SERVICE, status);
  };
  await check();
  const checking = setInterval(() => void check(), healthIntervalMs);
  checking.unref();

  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`0.0.0.0:${port}`, ServerCredentials.createInsecure(), (err, actual) => (err ? reject(err) : resolve(actual))),
  );
  return {
    port: bound,
    close: () => {
      clearInterval(checking);
      return new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
    },
  };
}
