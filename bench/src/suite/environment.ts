import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { promisify } from 'node:util';
import { imageDefaults } from '../stack.ts';

const exec = promisify(execFile);

/** Where and with what a result was measured, as BENCHMARKS.md states it. */
export interface Environment {
  machine: string;
  node: string;
  dockerEngine: string | null;
  traefik: string | null;
  autocannon: string;
}

export function machine(): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  return `${availableParallelism()} × ${cpu}, ${Math.round(totalmem() / 2 ** 30)} GiB, ${process.platform}`;
}

async function output(command: string, args: string[]): Promise<string | null> {
  try {
    return (await exec(command, args, { timeout: 30_000 })).stdout.trim();
  } catch {
    return null;
  }
}

/** The versions of what the sections run: Node, the Docker Engine, the Traefik image the stack uses, autocannon. */
export async function environment(): Promise<Environment> {
  const traefikImage = process.env.TRAEFIK_IMAGE ?? imageDefaults().TRAEFIK_IMAGE ?? 'traefik:v3.7';
  const traefikVersion = (await output('docker', ['run', '--rm', '--entrypoint', 'traefik', traefikImage, 'version']))?.match(/^Version:\s+(\S+)/m)?.[1];
  const autocannon = JSON.parse(await readFile(new URL(import.meta.resolve('autocannon/package.json')), 'utf8')) as { version: string };
  return {
    machine: machine(),
    node: process.version,
    dockerEngine: await output('docker', ['version', '--format', '{{.Server.Version}}']),
    traefik: traefikVersion ? `${traefikVersion} (${traefikImage})` : null,
    autocannon: autocannon.version,
  };
}

export function describe(env: Environment): string {
  return `${env.machine}; Node ${env.node}, Docker Engine ${env.dockerEngine ?? 'not reachable'}, Traefik ${env.traefik ?? 'unknown'}, autocannon ${env.autocannon}`;
}
