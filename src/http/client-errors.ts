import { type Server, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { type AppError, envelope, ParserErrors } from '../errors.js';

/** Node's parser errors as the error a client should see: oversized headers 431, a slow request 408, the rest 400. */
function errorOf(code: string | undefined): AppError {
  if (code === 'HPE_HEADER_OVERFLOW') return ParserErrors.headersTooLarge();
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return ParserErrors.requestTimeout();
  return ParserErrors.badRequest();
}

/**
 * Requests Node's HTTP parser rejects (oversized headers, malformed request lines, bad
 * chunking) never reach Koa; Node would answer them with a bare status line. Answer them in
 * the `{code, text, error}` envelope instead, then close the connection.
 */
export function answerClientErrors(server: Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const error = errorOf(err.code);
    const { status } = error;
    const body = JSON.stringify(envelope(error));
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nX-Content-Type-Options: nosniff\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${body}`,
      () => socket.destroy(),
    );
  });
}
