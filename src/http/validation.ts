import type { ErrorObject } from 'ajv';
import type { FieldError } from '../errors.js';

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
  return ('/' + segments.filter((s) => s !== '').join('/')).slice(0, 200);
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
