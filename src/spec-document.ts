import { readFileSync } from 'node:fs';
import yaml from 'js-yaml';
import { SPEC_PATH } from './paths.js';

/**
 * openapi.yaml's text parsed as JSON would be: JSON_SCHEMA, so no YAML-only types (an unquoted
 * date stays a string, as openapi-backend reads it).
 */
export function parseSpec(text: string, filename = SPEC_PATH): unknown {
  return yaml.load(text, { schema: yaml.JSON_SCHEMA, filename });
}

let document: unknown;

/** openapi.yaml, read and parsed once per process (`$ref`s left as written). */
export function specDocument<T = Record<string, unknown>>(): T {
  document ??= parseSpec(readFileSync(SPEC_PATH, 'utf8'));
  return document as T;
}
