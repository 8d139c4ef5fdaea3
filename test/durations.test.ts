import fc from 'fast-check';
import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { DURATION_BUCKETS, RequestDurations, RequestSeries, renderDurations } from '../src/ops/durations.js';

const NAME = 'http_request_duration_seconds';
const HELP = 'Time to answer, by operation and status.';

/** What prom-client's own Histogram renders for the same requests, in the same order. */
async function promClientText(requests: { operation: string; status: string; seconds: number }[], help = HELP): Promise<string> {
  const registry = new Registry();
  const histogram = new Histogram({ name: NAME, help, labelNames: ['operation', 'status'], buckets: [...DURATION_BUCKETS], registers: [registry] });
  for (const { operation, status, seconds } of requests) histogram.observe({ operation, status }, seconds);
  return registry.metrics();
}

function ourText(requests: { operation: string; status: string; seconds: number }[]): string {
  const durations = new RequestDurations();
  for (const { operation, status, seconds } of requests) durations.observe(operation, Number(status), seconds);
  return durations.render(NAME, HELP);
}

describe('request durations', () => {
  it('when no request was answered, then only the help and type lines are rendered, as prom-client does', async () => {
    expect(ourText([])).toBe(await promClientText([]));
  });

  it('when the help text has a backslash, a newline or quotes, then it is escaped as prom-client escapes it', async () => {
    const help = 'Time "to" answer \\ by\noperation.';
    expect(renderDurations(NAME, help, [])).toBe(await promClientText([], help));
  });

  it('when requests are answered, then the histogram reads exactly as prom-client renders it', async () => {
    const request = fc.record({
      operation: fc.constantFrom('getMe', 'login', 'unmatched', 'we"ird\\op\nid'),
      status: fc.constantFrom('200', '401', '503'),
      // On the bounds, between them and past the last one.
      seconds: fc.oneof(fc.constantFrom(...DURATION_BUCKETS, 0, 7.5), fc.double({ min: 0, max: 10, noNaN: true })),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(request, { maxLength: 60 }), async (requests) => {
        expect(ourText(requests)).toBe(await promClientText(requests));
      }),
    );
  });

  it('when a duration is on a bound, then it counts in that bound', () => {
    const series = new RequestSeries({ operation: 'getMe', status: '200' });
    series.observe(0.005);
    series.observe(6);
    expect(series.perBucket).toEqual(DURATION_BUCKETS.map((bound) => (bound === 0.005 ? 1 : 0)));
    expect([series.count, series.sum]).toEqual([2, 6.005]);
  });
});
