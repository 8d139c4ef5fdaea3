/**
 * A typed client for the Fitness Account API, built with openapi-fetch on the types generated
 * from openapi.yaml (openapi-typescript): paths, parameters, request bodies and answers are all
 * checked by the compiler, so a change to the spec that breaks a caller breaks its build.
 *
 * `createClient` takes the server's ORIGIN (e.g. `http://localhost:3000`), not the API root:
 * - `client.GET('/me')`, `client.POST('/login', …)`… call the API under `/api/v1`;
 * - `client.ops.GET('/healthz')` (and `/readyz`) call the server root. `/metrics` is not in the
 *   client: it is served on the metrics listener (METRICS_PORT), for Prometheus, not for apps.
 *
 * ```ts
 * const client = createClient('http://localhost:3000');
 * await client.login('fit_user123', 'SecurePass123!');       // keeps the access and refresh tokens
 * const { data, error, response } = await client.GET('/me');  // sent with `Authorization: Bearer …`
 * await client.refresh();                                     // new tokens when the access token expires
 * ```
 *
 * Every call resolves (it does not throw on 4xx/5xx): `data` is set on a 2xx answer, `error` (the
 * `{code, text, error, errors?}` envelope: match on `error`) otherwise, and `response.status` is the
 * HTTP status.
 */
import createFetchClient, { type Client, type ClientOptions, type Middleware } from 'openapi-fetch';
import type { components, operations, paths } from './api.js';

/** The API root under the server's origin (openapi.yaml `servers[0].url`). */
export const API_PREFIX = '/api/v1';

/** The operations served at the server root (their path items have `servers: [{url: /}]`). */
type OpsPath = '/healthz' | '/readyz';
export type OpsPaths = Pick<paths, OpsPath>;
/** The operations served under `/api/v1` (the metrics listener's `/metrics` is neither). */
export type ApiPaths = Omit<paths, OpsPath | '/metrics'>;

export type { components, operations, paths } from './api.js';
export type LoginRequest = components['schemas']['LoginRequest'];
/** The error envelope of every non-2xx answer; `error` is a stable identifier (`ErrorId`). */
export type ApiError = components['schemas']['ApiError'];

/**
 * The JSON body of an operation, by operationId: `const body: RequestBody<'updateProfile'> = {…}`.
 * openapi-fetch does not flag unknown keys in an inline `body` literal once the required ones
 * are there (openapi-ts/openapi-typescript#1769); a body annotated with this type is checked exactly.
 */
export type RequestBody<K extends keyof operations> =
  NonNullable<operations[K]['requestBody']> extends { content: { 'application/json': infer B } } ? B : never;

export interface TokenHelpers {
  /** Sends `Authorization: Bearer <token>` on every later API call (unless a call sets its own). */
  setToken(token: string): void;
  /** Stops sending a token and forgets the refresh token. */
  clearToken(): void;
  /** The token being sent, if any. */
  readonly token: string | undefined;
  /** The refresh token kept from the last login or refresh, if any. */
  readonly refreshToken: string | undefined;
  /**
   * `POST /login`; on success keeps the answer's `access_token` for later calls and its
   * `refresh_token` for `refresh()`. Resolves to openapi-fetch's result as is (`data` on 200,
   * `error` on 400/429…).
   */
  login(username: string, password: string, revokeOthers?: boolean): ReturnType<typeof postLogin>;
  /**
   * `POST /token/refresh` with the kept refresh token (or the one given); on success keeps the
   * new access and refresh tokens. A 401 means the session is over: log in again.
   */
  refresh(refreshToken?: string): ReturnType<typeof postRefresh>;
}

/** The typed client for `/api/v1`, the token helpers, and `ops` for the root endpoints. */
export type FitnessClient = Client<ApiPaths> & TokenHelpers & { readonly ops: Client<OpsPaths> };

/** Extra openapi-fetch options (custom `fetch`, default `headers`…); `baseUrl` is set from `origin`. */
export type FitnessClientOptions = Omit<ClientOptions, 'baseUrl'>;

function postLogin(api: Client<ApiPaths>, body: LoginRequest) {
  return api.POST('/login', { body });
}

function postRefresh(api: Client<ApiPaths>, refreshToken: string) {
  return api.POST('/token/refresh', { body: { refresh_token: refreshToken } });
}

/**
 * @param origin the server's origin, scheme + host + port, e.g. `http://localhost:3000` (a
 *   trailing slash is ignored). `/api/v1` is appended for API calls.
 */
export function createClient(origin: string, options: FitnessClientOptions = {}): FitnessClient {
  const root = origin.replace(/\/+$/, '');
  if (root.endsWith(API_PREFIX)) {
    throw new Error(`createClient takes the server origin (e.g. http://localhost:3000), not the API root: ${origin}`);
  }
  const api = createFetchClient<ApiPaths>({ ...options, baseUrl: root + API_PREFIX });
  const ops = createFetchClient<OpsPaths>({ ...options, baseUrl: root });

  let token: string | undefined;
  let refreshToken: string | undefined;
  const bearer: Middleware = {
    onRequest({ request }) {
      if (token !== undefined && !request.headers.has('authorization')) {
        request.headers.set('authorization', `Bearer ${token}`);
      }
      return request;
    },
  };
  api.use(bearer);

  // openapi-fetch's client is a plain object of closures (no `this`): spreading it is safe.
  return {
    ...api,
    ops,
    setToken(value) {
      token = value;
    },
    clearToken() {
      token = undefined;
      refreshToken = undefined;
    },
    get token() {
      return token;
    },
    get refreshToken() {
      return refreshToken;
    },
    async login(username, password, revokeOthers) {
      const body: LoginRequest = revokeOthers === undefined ? { username, password } : { username, password, revoke_others: revokeOthers };
      const result = await postLogin(api, body);
      if (result.data) ({ access_token: token, refresh_token: refreshToken } = result.data);
      return result;
    },
    async refresh(given) {
      const presented = given ?? refreshToken;
      if (presented === undefined) throw new Error('refresh() needs a refresh token: log in first');
      const result = await postRefresh(api, presented);
      if (result.data) ({ access_token: token, refresh_token: refreshToken } = result.data);
      return result;
    },
  };
}
