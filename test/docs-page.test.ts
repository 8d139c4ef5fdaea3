import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import Koa from 'koa';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocsRouter, DOCS_CSP } from '../src/http/docs.js';
import { PROJECT_ROOT, SPEC_PATH } from '../src/paths.js';
import { specDocument } from '../src/spec-document.js';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT = join(PROJECT_ROOT, 'var', 'screenshots', 'docs.png');
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head', 'trace'] as const;

interface SpecOperation {
  operationId: string;
  summary: string;
}
interface Spec {
  paths: Record<string, Partial<Record<(typeof METHODS)[number], SpecOperation>>>;
}

const specText = readFileSync(SPEC_PATH, 'utf8');
const spec = specDocument<Spec>();
const operations = Object.values(spec.paths).flatMap((item) => METHODS.flatMap((m) => (item[m] ? [item[m]] : [])));

/** The docs router alone on a Koa app, on a free port (the same router the service mounts). */
async function startDocsServer(): Promise<{ url: string; close: () => Promise<void> }> {
  const koa = new Koa();
  const docs = createDocsRouter();
  koa.use(docs.routes());
  koa.use(docs.allowedMethods());
  const server: Server = koa.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/**
 * A GET through node:http: the path is sent byte for byte (fetch would normalise `..` and
 * `%2e%2e` away) and only the headers given (fetch adds `Cache-Control: no-cache` next to
 * `If-None-Match`, which rules out a 304).
 */
function rawGet(base: string, path: string, headers: Record<string, string> = {}): Promise<RawAnswer> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: hostname, port, path, method: 'GET', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the API reference over HTTP', () => {
  let server: Awaited<ReturnType<typeof startDocsServer>>;
  beforeAll(async () => {
    server = await startDocsServer();
  });
  afterAll(() => server.close());

  it('when /docs is opened, then it is HTML under a strict CSP that loads only our own files', async () => {
    const res = await fetch(`${server.url}/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toBe(DOCS_CSP);
    expect(DOCS_CSP).toContain("default-src 'self'");
    expect(DOCS_CSP).toContain("script-src 'self'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    const html = await res.text();
    expect(html).not.toMatch(/<script>|<script [^>]*>[^<]/);
    const urls = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(urls.length).toBeGreaterThan(3);
    for (const url of urls) expect(url).toMatch(/^\/(docs\/|openapi\.yaml$)/);
  });

  it.each([
    ['swagger-ui.css', 'text/css; charset=utf-8'],
    ['index.css', 'text/css; charset=utf-8'],
    ['swagger-ui-bundle.js', 'text/javascript; charset=utf-8'],
    ['docs-init.js', 'text/javascript; charset=utf-8'],
    ['favicon-32x32.png', 'image/png'],
    ['favicon-16x16.png', 'image/png'],
  ])('when /docs/%s is fetched, then it is served as %s with nosniff, an ETag and a 304 on revalidation', async (name, type) => {
    const res = await fetch(`${server.url}/docs/${name}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(type);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('cache-control')).toBe(name === 'docs-init.js' ? 'no-cache' : 'public, max-age=86400');
    const etag = res.headers.get('etag');
    expect(etag).toMatch(/^"[\w-]+"$/);
    expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(0);
    const again = await rawGet(server.url, `/docs/${name}`, { 'if-none-match': etag as string });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
  });

  it('when the client accepts gzip, then the bundle is sent compressed and decompresses to the file', async () => {
    const file = readFileSync(join(PROJECT_ROOT, 'node_modules', 'swagger-ui-dist', 'swagger-ui-bundle.js'));
    const res = await rawGet(server.url, '/docs/swagger-ui-bundle.js', { 'accept-encoding': 'gzip' });
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(res.headers.vary).toMatch(/accept-encoding/i);
    expect(res.body.length).toBeLessThan(file.length / 2);
    expect(gunzipSync(res.body).equals(file)).toBe(true);
  });

  it('when /openapi.yaml is fetched, then it is the spec file as application/yaml', async () => {
    const res = await fetch(`${server.url}/openapi.yaml`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/yaml; charset=utf-8');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await res.text()).toBe(specText);
  });

  it('when /openapi.json is fetched, then it is the same spec as JSON', async () => {
    const res = await fetch(`${server.url}/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await res.json()).toEqual(spec);
  });

  it.each([
    '/docs/../package.json',
    '/docs/..%2fpackage.json',
    '/docs/%2e%2e/%2e%2e/package.json',
    '/docs/..%2f..%2fpackage.json',
    '/docs//etc/passwd',
    '/docs/%2fetc%2fpasswd',
    '/docs/swagger-ui.js',
    '/docs/swagger-ui-bundle.js.map',
    '/docs/index.html',
    '/docs/package.json',
    '/docs/swagger-initializer.js',
    '/docs/oauth2-redirect.html',
    '/docs/swagger-ui.css%00.png',
  ])('when %s is asked for, then it is 404: only the allow-listed files are served', async (path) => {
    const res = await rawGet(server.url, path);
    expect(res.status).toBe(404);
    expect(res.body.toString()).not.toContain('"name"');
    expect(res.body.toString()).not.toContain('root:');
  });
});

describe('the API reference in a browser', () => {
  let server: Awaited<ReturnType<typeof startDocsServer>>;
  let browser: Browser | undefined;
  beforeAll(async () => {
    server = await startDocsServer();
    // A missing Chromium fails the test below (never a skip): see its first line.
    if (!existsSync(CHROMIUM)) return;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-quic',
        '--no-first-run',
        '--disable-sync',
      ],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('when /docs is opened, then swagger-ui shows every operation, the schemas, the examples and Authorize, offline and without errors', async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`${CHROMIUM} is missing: install Debian's Chromium (apt-get update && apt-get install -y chromium) to run the docs page test`);
    }
    if (!browser) throw new Error(`Chromium (${CHROMIUM}) did not start`);
    const origin = new URL(server.url).origin;
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const foreign: string[] = [];
    const problems: string[] = [];
    // Anything for another host is recorded and never sent: the test stays offline either way.
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (new URL(url).origin === origin || url.startsWith('data:')) return route.continue();
      foreign.push(url);
      return route.abort();
    });
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
    });
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('requestfailed', (req) => problems.push(`request failed: ${req.url()} ${req.failure()?.errorText ?? ''}`));
    page.on('response', (res) => {
      if (res.status() >= 400) problems.push(`HTTP ${res.status()}: ${res.url()}`);
    });

    await page.goto(`${server.url}/docs`, { waitUntil: 'load' });
    await page.locator('.opblock-summary').first().waitFor({ state: 'visible', timeout: 20_000 });
    await page.locator('.swagger-ui .info .title').waitFor({ state: 'visible' });

    // Every operation of openapi.yaml, by its summary.
    const shown = await page.locator('.opblock-summary-description').allInnerTexts();
    expect(operations.length).toBeGreaterThan(15);
    expect(shown).toHaveLength(operations.length);
    for (const op of operations) {
      const summary = page.locator('.opblock-summary-description', { hasText: op.summary }).first();
      expect(await summary.isVisible(), `summary of ${op.operationId} visible: ${op.summary}`).toBe(true);
    }

    // How to authenticate: the description says it, and Authorize offers bearerAuth.
    expect(await page.locator('.swagger-ui .info .description').textContent()).toContain('Authorization: Bearer <token>');
    const authorize = page.locator('.btn.authorize').first();
    expect(await authorize.isVisible()).toBe(true);
    await authorize.click();
    const dialog = page.locator('.dialog-ux .modal-ux');
    await dialog.waitFor({ state: 'visible' });
    expect(await dialog.textContent()).toContain('bearerAuth');
    await page.locator('.dialog-ux .close-modal').click();

    // An operation's examples: the register request example and its 200 answer.
    await page.locator('#operations-auth-register .opblock-summary-control').click();
    const register = page.locator('#operations-auth-register');
    await register.locator('.opblock-body').waitFor({ state: 'visible' });
    const registerText = await register.textContent();
    expect(registerText).toContain('fit_user123');
    expect(registerText).toContain('User registered successfully');

    // The schemas section lists the components (rendered as it scrolls into view: the first ones).
    const models = page.locator('section.models');
    await models.scrollIntoViewIfNeeded();
    expect(await models.textContent()).toContain('ApiError');

    mkdirSync(join(PROJECT_ROOT, 'var', 'screenshots'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });

    expect(foreign, 'requests to other hosts').toEqual([]);
    expect(problems, 'console errors, failed requests or error answers').toEqual([]);
    await page.close();
  });
});
