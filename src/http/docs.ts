import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import Router from '@koa/router';
import type { Context } from 'koa';
import { strongEtag } from '../etag.js';
import { SPEC_PATH } from '../paths.js';
import { parseSpec } from '../spec-document.js';

/**
 * The API reference, served entirely by this service (no CDN, nothing fetched from elsewhere):
 *
 * - `GET /docs`: Swagger UI on openapi.yaml, under a strict Content-Security-Policy (scripts
 *   only from this origin, so the initialiser is a file, `/docs/docs-init.js`, not inline).
 * - `GET /docs/<asset>`: the few swagger-ui-dist files the page needs, from a fixed allow-list
 *   (each is its own route: no path from the request ever reaches the file system).
 * - `GET /openapi.yaml` and `GET /openapi.json`: the spec, read once when the router is built.
 */

const UI_DIR = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
const UI_VERSION = (JSON.parse(readFileSync(join(UI_DIR, 'package.json'), 'utf8')) as { version: string }).version;

export const DOCS_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Swagger UI's settings: offline (`validatorUrl: null`), on our own spec, nothing persisted. */
const INIT_SCRIPT = `'use strict';
window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: '/openapi.json',
    dom_id: '#swagger-ui',
    validatorUrl: null,
    deepLinking: true,
    docExpansion: 'list',
    defaultModelsExpandDepth: 1,
    displayRequestDuration: true,
    persistAuthorization: false,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
  });
});
`;

const TYPES = { css: 'text/css; charset=utf-8', js: 'text/javascript; charset=utf-8', png: 'image/png' } as const;

/** The only files served under /docs/: URL name → [file in swagger-ui-dist, content type]. */
const UI_ASSETS: Record<string, [string, string]> = {
  'swagger-ui.css': ['swagger-ui.css', TYPES.css],
  'index.css': ['index.css', TYPES.css],
  'swagger-ui-bundle.js': ['swagger-ui-bundle.js', TYPES.js],
  'favicon-32x32.png': ['favicon-32x32.png', TYPES.png],
  'favicon-16x16.png': ['favicon-16x16.png', TYPES.png],
};

interface Asset {
  body: Buffer;
  gzip: Buffer | undefined;
  type: string;
  etag: string;
}

function asset(body: Buffer, type: string): Asset {
  const compressible = !type.startsWith('image/') && body.length > 1024;
  return { body, gzip: compressible ? gzipSync(body) : undefined, type, etag: strongEtag(body) };
}

// The swagger-ui-dist files never change while the process runs: loaded on first use, shared by every router.
const uiCache = new Map<string, Asset>();
function uiAsset(name: string, [file, type]: [string, string]): Asset {
  let cached = uiCache.get(name);
  if (!cached) {
    cached = asset(readFileSync(join(UI_DIR, file)), type);
    uiCache.set(name, cached);
  }
  return cached;
}

const v = `?v=${encodeURIComponent(UI_VERSION)}`;
const PAGE = `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Fitness Account API reference</title>
  <link rel="stylesheet" href="/docs/swagger-ui.css${v}">
  <link rel="stylesheet" href="/docs/index.css${v}">
  <link rel="icon" type="image/png" href="/docs/favicon-32x32.png${v}" sizes="32x32">
  <link rel="icon" type="image/png" href="/docs/favicon-16x16.png${v}" sizes="16x16">
</head>
<body>
  <noscript>The API reference needs JavaScript. The spec itself is at <a href="/openapi.yaml">/openapi.yaml</a>.</noscript>
  <div id="swagger-ui"></div>
  <script src="/docs/swagger-ui-bundle.js${v}"></script>
  <script src="/docs/docs-init.js${v}"></script>
</body>
</html>
`;

/**
 * Answers with an in-memory asset: ETag revalidation (304), gzip when accepted, `nosniff`.
 * `cacheControl` is `no-cache` for what follows the spec or this code, a day for swagger-ui-dist files.
 */
function serve(ctx: Context, item: Asset, cacheControl: string, route: string): void {
  ctx.state.operationId = 'docs';
  ctx.state.route = route;
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.set('Cache-Control', cacheControl);
  ctx.set('ETag', item.etag);
  if (item.gzip) ctx.vary('Accept-Encoding');
  ctx.status = 200;
  if (ctx.fresh) {
    ctx.status = 304;
    return;
  }
  ctx.type = item.type;
  if (item.gzip && ctx.acceptsEncodings('gzip', 'identity') === 'gzip') {
    ctx.set('Content-Encoding', 'gzip');
    ctx.body = item.gzip;
  } else {
    ctx.body = item.body;
  }
}

const REVALIDATE = 'no-cache';
const ONE_DAY = 'public, max-age=86400';

/**
 * The docs page, its assets and the spec, as a router to mount before the API routes:
 * `koa.use(docs.routes())`. The spec is read from `specPath` now, once; a missing or invalid
 * file fails here, at start-up.
 */
export function createDocsRouter(specPath: string = SPEC_PATH): Router {
  const specText = readFileSync(specPath, 'utf8');
  const specJson = JSON.stringify(parseSpec(specText, specPath));
  const yamlAsset = asset(Buffer.from(specText), 'application/yaml; charset=utf-8');
  const jsonAsset = asset(Buffer.from(specJson), 'application/json; charset=utf-8');
  const pageAsset = asset(Buffer.from(PAGE), 'text/html; charset=utf-8');
  const initAsset = asset(Buffer.from(INIT_SCRIPT), TYPES.js);

  const router = new Router({ strict: true });
  router.get('/openapi.yaml', (ctx) => serve(ctx, yamlAsset, REVALIDATE, '/openapi.yaml'));
  router.get('/openapi.json', (ctx) => serve(ctx, jsonAsset, REVALIDATE, '/openapi.json'));
  router.get('/docs', (ctx) => {
    ctx.set('Content-Security-Policy', DOCS_CSP);
    ctx.set('Referrer-Policy', 'no-referrer');
    serve(ctx, pageAsset, REVALIDATE, '/docs');
  });
  router.get('/docs/docs-init.js', (ctx) => serve(ctx, initAsset, REVALIDATE, '/docs/docs-init.js'));
  for (const [name, source] of Object.entries(UI_ASSETS)) {
    router.get(`/docs/${name}`, (ctx) => serve(ctx, uiAsset(name, source), ONE_DAY, `/docs/${name}`));
  }
  return router;
}
