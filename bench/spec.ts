/**
 * The spec as a document object, its example bodies, and a copy padded with dummy operations
 * (to show how dispatch cost grows, or does not, with the number of operations).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Document } from 'openapi-backend';
import { PROJECT_ROOT } from '../src/paths.js';
import { specDocument } from '../src/spec-document.js';

export const SURVEY_FILE = join(PROJECT_ROOT, 'data', 'survey_data.json');

/** Number of operations in the padded spec. */
export const PADDED_OPERATIONS = 200;

type Json = Record<string, any>;

export function loadDocument(): Document {
  return structuredClone(specDocument<Document>());
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

export function countOperations(doc: Document): number {
  let n = 0;
  for (const item of Object.values(doc.paths ?? {})) {
    for (const method of METHODS) if (item && (item as Json)[method]) n++;
  }
  return n;
}

/**
 * A deep copy of the spec with dummy `GET /pad/<i>` operations appended until it has `total`
 * operations. They have no handler in any server; they are never called.
 */
export function paddedDocument(total = PADDED_OPERATIONS): Document {
  const doc = structuredClone(loadDocument()) as Json;
  const existing = countOperations(doc as Document);
  for (let i = 0; i < total - existing; i++) {
    doc.paths[`/pad/${i}`] = {
      get: {
        operationId: `pad${i}`,
        summary: `Dummy operation ${i} (benchmark padding)`,
        security: [],
        responses: { '200': { description: 'Never served.' } },
      },
    };
  }
  return doc as Document;
}

/** The request body example of an operation in openapi.yaml. */
export function exampleBody(path: string, method: string): Json {
  const doc = loadDocument() as Json;
  const example = doc.paths?.[path]?.[method]?.requestBody?.content?.['application/json']?.example;
  if (!example) throw new Error(`openapi.yaml has no JSON request example for ${method.toUpperCase()} ${path}`);
  return structuredClone(example);
}

/** The survey bytes exactly as the service serves them: parsed once, serialised once. */
export function surveyBytes(): Buffer {
  return Buffer.from(JSON.stringify(JSON.parse(readFileSync(SURVEY_FILE, 'utf8'))));
}
