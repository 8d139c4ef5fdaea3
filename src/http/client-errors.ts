import { type Server, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

/** Node's parser errors as the status a client should see: oversized headers 431, a slow request 408, the rest 400. */
function statusOf(code: string | undefined): { status: number; text: string } {
  if (code === 'HPE_HEADER_OVERFLOW') return { status: 431, text: 'Request header fields too large' };
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return { status: 408, text: 'Request timeout' };
  return { status: 400, text: 'Bad request' };
}

/**
 * Requests Node's HTTP parser rejects (oversized headers, malformed request lines, bad
 * chunking) never reach Koa; Node would answer them with a bare status line. Answer them in
 * the `{code, text}` envelope instead, then close the connection.
 */
export function answerClientErrors(server: Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const { status, text } = statusOf(err.code);
    const body = JSON.stringify({ code: status, text });
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nX-Content-Type-Options: nosniff\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${body}`,
      () => socket.destroy(),
    );
  });
}
