import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock, type Service, startService } from './support/service.js';

const SURVEY_FILE = 'data/survey_data.json';

interface Country {
  code: string;
  name: string;
  display_name: string;
}

// The survey endpoint never writes to the database, so SQLite is enough.
describe('survey data on sqlite', () => {
  let service: Service;
  beforeAll(async () => {
    service = await startService('sqlite');
  });
  afterAll(() => service.close());

  it('when a client asks for the survey data, then it answers 200 with all 249 ISO 3166-1 countries', async () => {
    const res = await service.call('GET', '/survey-data');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const countries = res.body.countries as Country[];
    expect(countries).toHaveLength(249);
    expect(countries).toContainEqual({ code: 'kz', name: 'kazakhstan', display_name: 'Kazakhstan' });
    for (const country of countries) expect(country.code).toMatch(/^[a-z]{2}$/);
    expect(new Set(countries.map((c) => c.code)).size).toBe(countries.length);
  });

  it('then it carries the validation rules, default values and valid values of the questionnaire', async () => {
    const res = await service.call('GET', '/survey-data');
    expect(res.body.validation_rules.required_fields).toContain('basic_information.gender');
    expect(res.body.validation_rules.string_lengths.username).toEqual({ min: 3, max: 50 });
    expect(res.body.validation_rules.numeric_ranges.age).toEqual({ min: 14, max: 100 });
    expect(res.body.default_values.training_level).toBe('beginner');
    expect(res.body.valid_values.training_levels).toEqual(['beginner', 'intermediate', 'advanced']);
    expect(Object.keys(res.body).sort()).toEqual(['countries', 'default_values', 'valid_values', 'validation_rules']);
  });

  it('then the answer is exactly the shipped file', async () => {
    const res = await service.call('GET', '/survey-data');
    expect(res.body).toEqual(JSON.parse(readFileSync(SURVEY_FILE, 'utf8')));
  });

  it('when the ETag is sent back in If-None-Match, then 304 with an empty body; another ETag gets 200', async () => {
    const first = await service.call('GET', '/survey-data');
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^"[^"]+"$/);

    const again = await service.call('GET', '/survey-data');
    expect(again.headers.get('etag')).toBe(etag);

    const unchanged = await service.call('GET', '/survey-data', { headers: { 'if-none-match': etag as string } });
    expect(unchanged.status).toBe(304);
    expect(unchanged.body).toBeUndefined();
    expect(unchanged.headers.get('etag')).toBe(etag);

    const inList = await service.call('GET', '/survey-data', { headers: { 'if-none-match': `"other", ${etag as string}` } });
    expect(inList.status).toBe(304);

    const other = await service.call('GET', '/survey-data', { headers: { 'if-none-match': '"not-the-current-etag"' } });
    expect(other.status).toBe(200);
    expect(other.body.countries).toHaveLength(249);
    expect(other.headers.get('etag')).toBe(etag);
  });

  // The spec bounds If-None-Match to 200 characters (checked without a query string, by the
  // compiled header validator alone) and allows no query parameters (checked by validateRequest).
  it('when a client sends an over-long If-None-Match, then 400 naming the header', async () => {
    const res = await service.call('GET', '/survey-data', { headers: { 'if-none-match': `"${'a'.repeat(300)}"` } });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([expect.objectContaining({ field: '/header/if-none-match' })]);
  });

  it('when a client adds a cache-busting query parameter, then 400 naming the parameter', async () => {
    const res = await service.call('GET', '/survey-data?v=123');
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ field: '/query/v', message: 'is not an allowed field' }]);
  });

  it('when an over-long If-None-Match comes with a query string, then it is refused as well', async () => {
    const res = await service.call('GET', '/survey-data?v=1', { headers: { 'if-none-match': `"${'a'.repeat(300)}"` } });
    expect(res.status).toBe(400);
  });
});

describe('survey data from a file that changes', () => {
  let dir: string;
  let file: string;
  let service: Service;
  /** Rewrites the file and moves its modification time, so a cache keyed on mtime must notice. */
  let mtime = Math.floor(Date.now() / 1000) - 3600;
  function writeSurvey(content: string): void {
    writeFileSync(file, content);
    mtime += 10;
    utimesSync(file, mtime, mtime);
  }
  function original(): Record<string, unknown> {
    return JSON.parse(readFileSync(SURVEY_FILE, 'utf8')) as Record<string, unknown>;
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'survey-'));
    file = join(dir, 'survey_data.json');
    copyFileSync(SURVEY_FILE, file);
    service = await startService('sqlite', { surveyDataFile: file });
  });
  afterAll(async () => {
    await service.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('when the file is rewritten, then the next GET serves the new content with a new ETag', async () => {
    writeSurvey(JSON.stringify(original()));
    const before = await service.call('GET', '/survey-data');
    expect(before.status).toBe(200);
    const oldEtag = before.headers.get('etag') as string;

    const changed = original();
    changed.countries = [{ code: 'kz', name: 'kazakhstan', display_name: 'Kazakhstan' }];
    const sizeBefore = statSync(file).size;
    writeSurvey(JSON.stringify(changed, null, 2));
    expect(statSync(file).size).not.toBe(sizeBefore);

    const after = await service.call('GET', '/survey-data');
    expect(after.status).toBe(200);
    expect(after.body.countries).toEqual([{ code: 'kz', name: 'kazakhstan', display_name: 'Kazakhstan' }]);
    const newEtag = after.headers.get('etag') as string;
    expect(newEtag).toMatch(/^"[^"]+"$/);
    expect(newEtag).not.toBe(oldEtag);

    // A client holding the old ETag gets the new data, not a 304.
    const stale = await service.call('GET', '/survey-data', { headers: { 'if-none-match': oldEtag } });
    expect(stale.status).toBe(200);
    expect(stale.body.countries).toHaveLength(1);
    const fresh = await service.call('GET', '/survey-data', { headers: { 'if-none-match': newEtag } });
    expect(fresh.status).toBe(304);
  });

  it('when only the modification time changes but the content is the same, then the ETag stays', async () => {
    writeSurvey(JSON.stringify(original()));
    const first = await service.call('GET', '/survey-data');
    writeSurvey(JSON.stringify(original()));
    const second = await service.call('GET', '/survey-data');
    expect(second.status).toBe(200);
    expect(second.headers.get('etag')).toBe(first.headers.get('etag'));
  });

  it('when the file is missing, then 404 "Survey data file not found", even after it was cached', async () => {
    writeSurvey(JSON.stringify(original()));
    expect((await service.call('GET', '/survey-data')).status).toBe(200);
    unlinkSync(file);
    const res = await service.call('GET', '/survey-data');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ code: 404, text: 'Survey data file not found', error: 'survey_data_not_found' });
  });

  it('when the file holds invalid JSON, then 500 "Invalid JSON format in survey data file"', async () => {
    writeSurvey('{"countries": [');
    const res = await service.call('GET', '/survey-data');
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ code: 500, text: 'Invalid JSON format in survey data file', error: 'survey_data_invalid' });
  });

  it('when the file is valid JSON but not survey data, then 500 "Failed to load survey data"', async () => {
    for (const content of ['[]', 'null', '"text"', '{"countries": []}']) {
      writeSurvey(content);
      const res = await service.call('GET', '/survey-data');
      expect(res.status, content).toBe(500);
      expect(res.body, content).toEqual({ code: 500, text: 'Failed to load survey data', error: 'survey_data_unavailable' });
    }
  });

  it('when a broken file is fixed, then the next GET serves it again', async () => {
    writeSurvey('not json at all');
    expect((await service.call('GET', '/survey-data')).status).toBe(500);
    writeSurvey(JSON.stringify(original()));
    const res = await service.call('GET', '/survey-data');
    expect(res.status).toBe(200);
    expect(res.body.countries).toHaveLength(249);
  });
});

describe('survey data from a path that cannot be read', () => {
  let dir: string;
  let service: Service;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'survey-'));
    const asDirectory = join(dir, 'survey_data.json');
    mkdirSync(asDirectory);
    service = await startService('sqlite', { surveyDataFile: asDirectory });
  });
  afterAll(async () => {
    await service.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('when the path is a directory, then 500 "Failed to load survey data" without internal detail', async () => {
    const res = await service.call('GET', '/survey-data');
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ code: 500, text: 'Failed to load survey data', error: 'survey_data_unavailable' });
  });
});

// In production the file's modification time is checked at most once per SURVEY_DATA_RECHECK_MS.
describe('survey data with a recheck interval', () => {
  let dir: string;
  let file: string;
  let service: Service;
  const clock = manualClock();
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'survey-'));
    file = join(dir, 'survey_data.json');
    copyFileSync(SURVEY_FILE, file);
    service = await startService('sqlite', { surveyDataFile: file, surveyRecheckMs: 1000 }, clock);
  });
  afterAll(async () => {
    await service.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('when the file changes, then the cached data is served until the interval has passed, then the new data', async () => {
    const before = await service.call('GET', '/survey-data');
    expect(before.body.countries).toHaveLength(249);

    const changed = JSON.parse(readFileSync(SURVEY_FILE, 'utf8')) as Record<string, unknown>;
    changed.countries = [{ code: 'kz', name: 'kazakhstan', display_name: 'Kazakhstan' }];
    writeFileSync(file, JSON.stringify(changed));
    const later = Date.now() / 1000 + 10;
    utimesSync(file, later, later);

    clock.advance(999);
    const cached = await service.call('GET', '/survey-data');
    expect(cached.body.countries).toHaveLength(249);
    expect(cached.headers.get('etag')).toBe(before.headers.get('etag'));

    clock.advance(1);
    const after = await service.call('GET', '/survey-data');
    expect(after.body.countries).toEqual([{ code: 'kz', name: 'kazakhstan', display_name: 'Kazakhstan' }]);
    expect(after.headers.get('etag')).not.toBe(before.headers.get('etag'));
  });

  it('when the file disappears, then 404 once the interval has passed', async () => {
    unlinkSync(file);
    clock.advance(1000);
    const res = await service.call('GET', '/survey-data');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ code: 404, text: 'Survey data file not found', error: 'survey_data_not_found' });
  });
});
