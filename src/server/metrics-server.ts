import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { createStatusTracker, type Component } from '../infra/lifecycle';
import type { Logger } from '../infra/logger';

/** GET /metrics in the registry's text format; shared by the API server and the metrics-only listener. */
export const serveMetrics = async (registry: Registry, logger: Logger, res: ServerResponse) => {
  try {
    const body = await registry.metrics();
    res.writeHead(200, { 'content-type': registry.contentType }).end(body);
  } catch (error) {
    logger.error({ err: error }, 'could not render /metrics');
    res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n');
  }
};

export interface MetricsServer extends Component {
  /** http://host:port/metrics once started (port 0 picks a free port). */
  url(): string;
}

/**
 * A bare listener for processes without the api role (ROLES=relay, ROLES=consumer), which
 * have no HTTP server of their own but still need to be scraped.
 */
export const createMetricsServer = (deps: {
  registry: Registry;
  host: string;
  port: number;
  logger: Logger;
}): MetricsServer => {
  const status = createStatusTracker('metrics-http', deps.logger);
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.method === 'GET' && req.url?.split('?')[0] === '/metrics')
      void serveMetrics(deps.registry, deps.logger, res);
    else res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  });
  return {
    name: 'metrics-http',
    async start() {
      status.set('starting');
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(deps.port, deps.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      status.set('ready');
      deps.logger.info({ url: this.url() }, `metrics at ${this.url()}`);
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      status.set('stopped');
    },
    ready: async () => status.get() === 'ready',
    url() {
      const address = server.address() as AddressInfo | null;
      const host =
        !address || address.address === '0.0.0.0' || address.address === '::' ? '127.0.0.1' : address.address;
      return `http://${host}:${address?.port ?? deps.port}/metrics`;
    },
  };
};
