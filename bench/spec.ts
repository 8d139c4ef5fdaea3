// The spec's survey bytes and example bodies, and a copy padded with dummy operations.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Document } from 'openapi-backend';
import { PROJECT_ROOT } from '../src/paths.js';
import { specDocument } from '../src/spec-document.js';

type Json = Record<string, any>;
const METHODS = ['get', 'put', 'post', 'delete', 'patch'];
/** openapi.yaml with dummy `GET /pad/<i>` operations (never called) up to `total` operations. */
export function paddedDocument(total = 200): Document {
  const doc = structuredClone(specDocument<Json>());
  const operations = Object.values(doc.paths as Json).reduce((n: number, item: Json) => n + METHODS.filter((m) => item[m]).length, 0);
  for (let i = operations; i < total; i++) {
    doc.paths[`/pad/${i}`] = { get: { operationId: `pad${i}`, security: [], responses: { '200': { description: 'Never served.' } } } };
  }
  return doc as Document;
}
/** The request example of an operation in openapi.yaml. */
export const exampleBody = (path: string, method: string): Json =>
  structuredClone(specDocument<Json>().paths[path][method].requestBody.content['application/json'].example);
/** The survey bytes exactly as the service serves them: parsed once, serialised once. */
export const surveyBytes = () => Buffer.from(JSON.stringify(JSON.parse(readFileSync(join(PROJECT_ROOT, 'data', 'survey_data.json'), 'utf8'))));
