import type { ErrorObject, ValidateFunction } from 'ajv';
import type { Context } from 'koa';
import { Errors, type FieldError } from '../errors.js';
import type { Api, ApiOperation } from './spec.js';

// openapi-backend validates an object { requestBody, path, query, header, cookie }; clients know
// these places as body, path, query and header.
const PLACE_NAMES: Record<string, string> = { requestBody: 'body', path: 'path', query: 'query', header: 'header', cookie: 'cookie' };

function fieldOf(error: ErrorObject): string {
  const [, place = '', ...rest] = error.instancePath.split('/');
  const segments = [PLACE_NAMES[place] ?? place, ...rest];
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'required' && typeof params.missingProperty === 'string') segments.push(params.missingProperty);
  if (error.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string') {
    segments.push(params.additionalProperty);
  }
  // The spec bounds `field` to 200 characters: an unknown key may be longer than that.
  return `/${segments.filter((s) => s !== '').join('/')}`.slice(0, 200);
}

/** Turns Ajv's errors into the `errors` list of the envelope (a JSON pointer and a message each). */
export function toFieldErrors(errors: ErrorObject[]): FieldError[] {
  return errors.slice(0, 20).map((error) => {
    const field = fieldOf(error);
    if (field === '/' && error.keyword === 'required') return { field: '/body', message: 'a JSON body is required' };
    if (error.keyword === 'additionalProperties') return { field, message: 'is not an allowed field' };
    return { field, message: (error.message ?? 'is invalid').slice(0, 300) };
  });
}

export interface ValidInput {
  query: Record<string, unknown>;
  params: Record<string, unknown>;
}

const NO_INPUT: ValidInput = Object.freeze({ query: Object.freeze({}), params: Object.freeze({}) }) as ValidInput;

/**
 * The request check of one operation, with the validators openapi-backend compiled for it.
 *
 * When the operation takes no body and no query, path or cookie parameters, and the request has
 * no query string, only its headers can be wrong: when it sends none of the declared (optional)
 * headers there is nothing to check, and otherwise they go straight to the compiled parameters
 * validator, with the object openapi-backend's own parsing would build (path and query empty,
 * cookies unchecked as none are declared). Everything else takes the documented
 * `validateRequest`, whose request parsing (qs, cookies, path templates) is most of the cost of
 * a cached GET (docs/benchmark-findings.md).
 */
export function createRequestValidator(api: Api, operation: ApiOperation) {
  // `x-validation-error: invalid_user_id` answers a failed check with that error instead of validation_failed.
  const failsAs = (operation as { 'x-validation-error'?: string })['x-validation-error'];
  if (failsAs !== undefined && failsAs !== 'invalid_user_id')
    throw new Error(`${operation.operationId}: x-validation-error "${failsAs}" is not one this service answers with`);
  const parameters = operation.parameters ?? [];
  const headersOnly = !operation.requestBody && parameters.every((p) => 'in' in p && p.in === 'header');
  // Other headers are allowed, so while none of the declared ones is sent, nothing can fail.
  const declaredHeaders = parameters.flatMap((p) => ('in' in p && p.in === 'header' ? [{ name: p.name.toLowerCase(), required: p.required === true }] : []));
  const canSkipHeaders = declaredHeaders.every((h) => !h.required);
  const validators = api.validator.getRequestValidatorsForOperation(operation.operationId as string) as ValidateFunction[];

  const fail = (errors: ErrorObject[]) => (failsAs === 'invalid_user_id' ? Errors.invalidUserId : Errors.invalidRequest)(toFieldErrors(errors));

  return (ctx: Context, body: unknown): ValidInput => {
    if (headersOnly && ctx.querystring === '') {
      if (canSkipHeaders && declaredHeaders.every((h) => ctx.headers[h.name] === undefined)) return NO_INPUT;
      // A copy: the parameters validator coerces types in place.
      const parameters = { path: {}, query: {}, header: { ...ctx.headers }, cookie: {} };
      for (const validate of validators) {
        if (!validate(parameters)) throw fail(validate.errors ?? []);
      }
      return NO_INPUT;
    }
    const result = api.validator.validateRequest(
      { method: ctx.method, path: ctx.path, headers: ctx.headers as Record<string, string>, query: ctx.querystring, body },
      operation,
    );
    if (result.errors) throw fail(result.errors);
    const coerced = result.coerced as { query?: Record<string, unknown>; params?: Record<string, unknown> } | undefined;
    return { query: coerced?.query ?? {}, params: coerced?.params ?? {} };
  };
}
