import { readFile, stat } from 'node:fs/promises';
import type { components } from '../../generated/api.js';
import type { Clock } from '../clock.js';
import { Errors } from '../errors.js';
import { strongEtag } from '../etag.js';

export type SurveyData = components['schemas']['SurveyData'];

export interface SurveySnapshot {
  data: SurveyData;
  /** The JSON as served, serialised once per file version. */
  bytes: Buffer;
  etag: string;
}

function code(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null ? (err as { code?: string }).code : undefined;
}

/** The four sections the spec requires; JSON without them is not survey data. */
function isSurveyData(value: unknown): value is SurveyData {
  const isObject = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObject(value)) return false;
  const data = value as Record<string, unknown>;
  return Array.isArray(data.countries) && isObject(data.validation_rules) && isObject(data.default_values) && isObject(data.valid_values);
}

export type SurveyService = ReturnType<typeof createSurveyService>;

export interface SurveyOptions {
  /**
   * A loaded file is served for this long (ms) before its modification time is checked again;
   * 0 checks on every request. A stat() on every request would dominate the endpoint's cost.
   */
  recheckMs: number;
  clock: Clock;
}

/**
 * Serves data/survey_data.json, re-read only when its modification time or size changes.
 * Missing file: 404; not JSON: 500 `Invalid JSON format...`; anything else (including JSON that
 * is not survey data): 500 `Failed to load...`.
 */
export function createSurveyService(file: string, options: SurveyOptions) {
  const { recheckMs, clock } = options;
  let cached: { version: string; snapshot: SurveySnapshot; checkedAt: number } | undefined;

  async function load(): Promise<SurveySnapshot> {
    const now = clock();
    if (cached && recheckMs > 0 && now >= cached.checkedAt && now - cached.checkedAt < recheckMs) return cached.snapshot;
    let version: string;
    try {
      const info = await stat(file);
      version = `${info.mtimeMs}:${info.size}`;
    } catch (err) {
      throw code(err) === 'ENOENT' ? Errors.surveyFileNotFound() : Errors.surveyLoadFailed();
    }
    if (cached?.version === version) {
      cached.checkedAt = now;
      return cached.snapshot;
    }

    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      throw code(err) === 'ENOENT' ? Errors.surveyFileNotFound() : Errors.surveyLoadFailed();
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      throw Errors.surveyInvalidJson();
    }
    if (!isSurveyData(data)) throw Errors.surveyLoadFailed();
    const bytes = Buffer.from(JSON.stringify(data));
    const snapshot = { data, bytes, etag: strongEtag(bytes) };
    cached = { version, snapshot, checkedAt: now };
    return snapshot;
  }

  return { load };
}

/** True when an If-None-Match header names this ETag (or `*`). */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t === etag || t === `W/${etag}`;
  });
}
