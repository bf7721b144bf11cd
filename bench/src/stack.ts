import { execFileSync } from 'node:child_process';
import { Stack } from 'testkit/compose-stack';

/** The benchmarks' compose project: never the e2e suite's (assembly-e2e) nor the dev stack's (assembly-dev). */
const BENCH_PROJECT = process.env.BENCH_PROJECT ?? 'assembly-bench';

/** Where no registry is reachable, the air-gapped base images, when present and not set already. */
export function imageDefaults(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  const local = [['NODE_IMAGE', 'local/node:24'], ['TRAEFIK_IMAGE', 'local/traefik:v3.7'], ['HAPROXY_IMAGE', 'local/haproxy:3.0']] as const;
  for (const [name, image] of local) {
    if (process.env[name]) continue;
    try {
      execFileSync('docker', ['image', 'inspect', image], { stdio: 'ignore' });
      env[name] = image;
    } catch {
      // Left to .env.dev.
    }
  }
  return env;
}

/** The production settings of .env that differ from .env.dev's (the services read them from the environment). */
const PRODUCTION_ENV = { APP_ENV: 'production', FAULTS_ENABLED: 'false', LOG_LEVEL: 'info' } as const;

export interface BenchStackOptions {
  /** The production settings of .env for the services instead of .env.dev's; the rate limit stays lifted either way. */
  production?: boolean;
}

/**
 * The assembly as the benchmarks run it: testkit's Stack under the project assembly-bench on a free port
 * of 127.0.0.1, `replicas` storage replicas, the gateway's per-client rate limit lifted (else the load
 * measures 429s) and info-level logs (the production default; .env.dev says debug). `fn` runs once the
 * gateway routes to every replica; the stack is always taken down afterwards.
 */
export async function withBenchStack<T>(replicas: number, fn: (stack: Stack) => Promise<T>, options: BenchStackOptions = {}): Promise<T> {
  const stack = await Stack.create({
    project: BENCH_PROJECT,
    env: {
      ...imageDefaults(),
      STORAGE_REPLICAS: String(replicas),
      GATEWAY_RATE_AVERAGE: '1000000',
      GATEWAY_RATE_BURST: '1000000',
      LOG_LEVEL: 'info',
      ...(options.production ? PRODUCTION_ENV : {}),
    },
  });
  try {
    await stack.up();
    await stack.waitRouted(replicas);
    return await fn(stack);
  } finally {
    stack.down();
  }
}
