import type { Context } from 'koa';
import type { AuthContext, CallerView } from '../caller.js';
import { Errors } from '../errors.js';
import type { Api, ApiOperation } from './spec.js';

/** How an operation's `security` asks for a token: always, optionally (`- {}` listed), or never. */
export type AuthMode = 'required' | 'optional' | 'none';

type Requirement = Record<string, unknown>;

export function authModeOf(operation: ApiOperation, api: Api): AuthMode {
  const requirements = (operation.security ?? api.definition.security ?? []) as Requirement[];
  const withBearer = requirements.some((r) => 'bearerAuth' in r);
  if (!withBearer) return 'none';
  return requirements.some((r) => Object.keys(r).length === 0) ? 'optional' : 'required';
}

const BEARER = /^Bearer ([A-Za-z0-9_.~+/=-]{1,4096})$/i;

/** Verifies a bearer token and its session; throws a 401 AppError when either is not valid. */
export type Authenticate = (token: string, view: CallerView) => Promise<AuthContext>;

/**
 * The caller of this request, per the operation's auth mode: a missing token is 401 where one
 * is required, and a token that is sent is always checked. Undefined, not a promise, when there
 * is no token to check, so that the route awaits only a check that runs.
 */
export function authenticateRequest(ctx: Context, mode: AuthMode, authenticate: Authenticate, view: CallerView): Promise<AuthContext> | undefined {
  if (mode === 'none') return undefined;
  const header = ctx.get('authorization');
  if (header === '') {
    if (mode === 'required') throw Errors.unauthorized();
    return undefined;
  }
  const token = BEARER.exec(header)?.[1];
  if (token === undefined) throw Errors.unauthorized();
  return authenticate(token, view);
}
