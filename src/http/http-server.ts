import { createServer, type RequestListener, type Server } from 'node:http';
import type { Config } from '../config.js';
import { answerClientErrors } from './client-errors.js';

export type HttpLimits = Pick<Config, 'httpHeadersTimeoutMs' | 'httpRequestTimeoutMs' | 'httpKeepAliveTimeoutMs' | 'httpMaxConnections'>;

/**
 * How often Node looks for requests past their headers or request timeout: a request is cut
 * off up to one interval late, so a tenth of the headers timeout (at most 1 s) instead of
 * Node's 30 s, which would let a slow client keep its connection 30 s past the deadline.
 */
function checkingIntervalMs(headersTimeoutMs: number): number {
  return Math.max(10, Math.min(1000, Math.floor(headersTimeoutMs / 10)));
}

/**
 * The service's HTTP server, not yet listening: slow clients are cut off (408 in the envelope)
 * by the headers and request timeouts, idle keep-alive connections closed, connections beyond
 * the cap closed on arrival, and parser errors answered in the envelope. The server process and
 * the tests both start their servers here, so tests run with the production settings.
 */
export function createHttpServer(callback: RequestListener, limits: HttpLimits): Server {
  const server = createServer(
    {
      headersTimeout: limits.httpHeadersTimeoutMs,
      requestTimeout: limits.httpRequestTimeoutMs,
      keepAliveTimeout: limits.httpKeepAliveTimeoutMs,
      connectionsCheckingInterval: checkingIntervalMs(limits.httpHeadersTimeoutMs),
    },
    callback,
  );
  server.maxConnections = limits.httpMaxConnections;
  answerClientErrors(server);
  return server;
}
