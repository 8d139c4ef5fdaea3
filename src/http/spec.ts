import addFormats from 'ajv-formats';
import { type Document, OpenAPIBackend, type Operation } from 'openapi-backend';
import { SPEC_PATH } from '../paths.js';

export const API_ROOT = '/api/v1';

/** Where a path is served: on the API's listener, or on the metrics listener (`x-listener: metrics` on its path item). */
export type Listener = 'api' | 'metrics';

export function listenerOf(api: Api, path: string): Listener {
  return (api.definition.paths?.[path] as { 'x-listener'?: Listener } | undefined)?.['x-listener'] ?? 'api';
}

/**
 * True for the paths served at the root of their listener instead of under /api/v1: those with
 * `servers: [{url: /}]` on the path item (health and readiness), and the metrics listener's.
 */
export function servedAtRoot(api: Api, path: string): boolean {
  return listenerOf(api, path) === 'metrics' || api.definition.paths?.[path]?.servers?.[0]?.url === '/';
}

export type Api = OpenAPIBackend<Document>;
export type ApiOperation = Operation<Document>;

/**
 * Loads the spec and compiles a validator for every operation, once. Path and query parameters
 * are coerced to their schema types; JSON bodies are validated as sent (no coercion).
 */
export async function loadApi(definition: string | Document = SPEC_PATH): Promise<Api> {
  const api = new OpenAPIBackend({
    definition,
    apiRoot: API_ROOT,
    strict: true,
    // Validators are compiled when first asked for: the routes ask for every operation's request
    // validators at start-up; response validators (only tests check answers) are never built in
    // the service, where they were 16 of its 37 MB of live heap. The spec itself is checked by
    // `npm run lint:spec` and the spec tests, not at every start.
    quick: true,
    coerceTypes: true,
    ajvOpts: { strict: false, allErrors: false },
    // openapi-backend leaves `format` unchecked without ajv-formats (email, uri, date-time...).
    customizeAjv: (ajv) => {
      addFormats.default(ajv);
      return ajv;
    },
  });
  await api.init();
  return api;
}
