import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Config } from '../src/config.js';
import { type Service, startService } from './support/service.js';

const HEADERS_TIMEOUT = 500;
const REQUEST_TIMEOUT = 1000;
/** How late past its deadline a slow client may be cut off: Node checks every 50 ms here, the rest is a loaded machine. */
const MARGIN = 1000;
const TRICKLE_MS = 200;

const TIMEOUT_ANSWER = { code: 408, text: 'Request timeout', error: 'request_timeout' };

/** What a raw connection received until the server closed it, and when it closed (performance.now()). */
interface Received {
  text: string;
  closedAt: number;
}

function open(service: Service): { socket: Socket; received: Promise<Received> } {
  const socket = connect(Number(new URL(service.url).port), '127.0.0.1');
  let text = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    text += chunk;
  });
  // Writes after the server closed fail (EPIPE, ECONNRESET): the close is what is being tested.
  socket.on('error', () => undefined);
  const received = new Promise<Received>((resolve) => socket.once('close', () => resolve({ text, closedAt: performance.now() })));
  return { socket, received };
}

/** Writes `text` one byte every TRICKLE_MS until it is written or the socket closes; resolves with the bytes written. */
function trickle(socket: Socket, text: string): { written: () => number; stop: () => void } {
  let index = 0;
  const timer = setInterval(() => {
    if (socket.destroyed || index >= text.length) return;
    socket.write(text.charAt(index));
    index += 1;
  }, TRICKLE_MS);
  return { written: () => index, stop: () => clearInterval(timer) };
}

/** The JSON body of a raw HTTP answer. */
const bodyOf = (answer: string) => JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4));

describe('slow and surplus clients', () => {
  const started: Service[] = [];
  async function start(overrides: Partial<Config>): Promise<Service> {
    const service = await startService('sqlite', overrides);
    started.push(service);
    return service;
  }
  afterEach(async () => {
    await Promise.all(started.splice(0).map((s) => s.close()));
  });

  it('when a client sends its headers one byte every 200 ms, then it gets 408 in the envelope and is cut off within the headers timeout plus a margin', async () => {
    const service = await start({ httpHeadersTimeoutMs: HEADERS_TIMEOUT, httpRequestTimeoutMs: REQUEST_TIMEOUT });
    const request = 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: very-slow-client\r\n\r\n';
    const begun = performance.now();
    const { socket, received } = open(service);
    const sender = trickle(socket, request);
    const { text, closedAt } = await received;
    sender.stop();

    expect(text).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(bodyOf(text)).toEqual(TIMEOUT_ANSWER);
    expect(sender.written()).toBeLessThan(request.length);
    const elapsed = closedAt - begun;
    expect(elapsed).toBeGreaterThanOrEqual(HEADERS_TIMEOUT);
    expect(elapsed).toBeLessThan(HEADERS_TIMEOUT + MARGIN);
  });

  it('when a client sends its headers at once and then trickles the body, then the request timeout cuts it off with 408', async () => {
    const service = await start({ httpHeadersTimeoutMs: HEADERS_TIMEOUT, httpRequestTimeoutMs: REQUEST_TIMEOUT });
    const body = JSON.stringify({ username: 'slow_sender', password: 'SecurePass123!' });
    const begun = performance.now();
    const { socket, received } = open(service);
    socket.write(`POST /api/v1/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`);
    const sender = trickle(socket, body);
    const { text, closedAt } = await received;
    sender.stop();

    expect(text).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(bodyOf(text)).toEqual(TIMEOUT_ANSWER);
    expect(sender.written()).toBeLessThan(body.length);
    // Past the headers timeout: the headers had arrived, the request timeout is what cut it.
    const elapsed = closedAt - begun;
    expect(elapsed).toBeGreaterThanOrEqual(REQUEST_TIMEOUT);
    expect(elapsed).toBeLessThan(REQUEST_TIMEOUT + MARGIN);
  });

  it('when HTTP_MAX_CONNECTIONS is 2 and two connections are open, then a third is closed unanswered; after they close, the service serves again', async () => {
    const service = await start({ httpMaxConnections: 2 });
    const accepted: Socket[] = [];
    service.server.on('connection', (socket: Socket) => accepted.push(socket));
    let dropped = 0;
    service.server.on('drop', () => {
      dropped += 1;
    });

    const healthz = 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n';
    const held = [open(service), open(service)];
    for (const { socket } of held) {
      const answered = new Promise<string>((resolve) => socket.once('data', (chunk: string) => resolve(chunk)));
      socket.write(healthz);
      // Answered and kept alive: both connections are open and counted.
      expect(await answered).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    }

    const third = open(service);
    third.socket.write(healthz);
    expect((await third.received).text).toBe('');
    expect(dropped).toBe(1);
    expect(accepted).toHaveLength(2);

    const serverSideClosed = accepted.map((socket) => new Promise((resolve) => socket.once('close', resolve)));
    for (const { socket } of held) socket.destroy();
    await Promise.all(serverSideClosed);
    const again = await service.call('GET', '/healthz');
    expect(again.status).toBe(200);
  });

  it('when an answer keeps the connection alive, then it announces the configured keep-alive timeout', async () => {
    const service = await start({ httpKeepAliveTimeoutMs: 3000 });
    const res = await service.call('GET', '/healthz');
    expect(res.status).toBe(200);
    expect(res.headers.get('keep-alive')).toBe('timeout=3');
  });
});
