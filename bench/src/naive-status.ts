/**
 * The naive design of the status service, for the benchmark `status-view-vs-naive` only: no view, no
 * events; every GET /status lists the labelled containers from the Docker daemon and inspects each one,
 * then answers the same per-container fields as the real service (its own fromInspect).
 *
 *   PORT=3999 HOSTNAME=<id of a container of the project> node bench/src/naive-status.ts
 *
 * Like the real service, it looks at the containers of its own container's compose project (HOSTNAME);
 * DOCKER_HOST is not read: the default socket, /var/run/docker.sock.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import Docker from 'dockerode';
import { APP_LABEL, fromInspect, PROJECT_LABEL } from '../../status-service/src/container-status.ts';
import { dockerodeApi } from '../../status-service/src/docker-api.ts';
import { ownProject } from '../../status-service/src/own-project.ts';

const endpoint = { socketPath: '/var/run/docker.sock' };
const docker = new Docker(endpoint);
const scope = await ownProject(dockerodeApi(endpoint), process.env.HOSTNAME, AbortSignal.timeout(5000));
const labels = [APP_LABEL, ...(scope.project ? [`${PROJECT_LABEL}=${scope.project}`] : [])];

/** One /status: a listing and one inspect per container, all asked of the daemon now. */
async function status(): Promise<unknown> {
  const listed = await docker.listContainers({ all: true, filters: { label: labels } });
  const inspected = await Promise.all(
    listed.map((c) =>
      docker
        .getContainer(c.Id)
        .inspect()
        .catch(() => null),
    ),
  );
  const containers = inspected.filter((info) => info !== null).map(fromInspect).sort((a, b) => a.name.localeCompare(b.name));
  return { observedAt: new Date().toISOString(), containers };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method !== 'GET') return send(res, 405, { error: 'GET only' });
  if (path === '/healthz') return send(res, 200, { status: 'ok' });
  if (path !== '/status') return send(res, 404, { error: 'not found' });
  try {
    send(res, 200, await status());
  } catch (err) {
    send(res, 503, { error: `Docker Engine: ${err instanceof Error ? err.message : String(err)}` });
  }
}

const server = createServer((req, res) => void handle(req, res));
server.keepAliveTimeout = 30_000;
server.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`${JSON.stringify({ msg: 'listening', port: typeof address === 'object' && address ? address.port : null, time: Date.now() })}\n`);
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
process.once('SIGINT', () => server.close(() => process.exit(0)));
