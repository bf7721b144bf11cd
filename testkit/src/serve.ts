import { once } from 'node:events';
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Served {
  url: string;
  /** Closes the server and every connection still open. */
  close: () => Promise<void>;
}

/** Serves `handler` on an ephemeral port of 127.0.0.1, as the real server would. */
export async function serve(handler: RequestListener): Promise<Served> {
  const server = createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}
