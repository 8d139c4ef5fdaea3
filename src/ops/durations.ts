/** The upper bounds of `http_request_duration_seconds`, in seconds. */
export const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] as const;

export type SeriesLabels = { operation: string; status: string };

/**
 * One operation and status's requests: their count, the sum of their durations and how many
 * fell in each bucket. Counted in plain numbers because prom-client's `observe` converts,
 * validates and hashes the labels on every call (3.4% of a `GET /survey-data` profile); the
 * series are rendered at scrape time in the text prom-client gives a Histogram
 * (test/durations.test.ts compares the two).
 */
export class RequestSeries {
  count = 0;
  sum = 0;
  /** Requests per bucket, not cumulative; a duration above the last bound is counted only in `count`. */
  readonly perBucket: number[] = DURATION_BUCKETS.map(() => 0);

  constructor(readonly labels: SeriesLabels) {}

  observe(seconds: number): void {
    this.count += 1;
    this.sum += seconds;
    for (let i = 0; i < DURATION_BUCKETS.length; i++) {
      if (seconds <= (DURATION_BUCKETS[i] as number)) {
        this.perBucket[i] = (this.perBucket[i] as number) + 1;
        return;
      }
    }
  }
}

/** Every operation and status's series, in the order each was first answered. */
export class RequestDurations {
  // Operations and statuses are few, so this stays small.
  private readonly byKey = new Map<string, RequestSeries>();

  /** Records one answered request. */
  observe(operation: string, status: number, seconds: number): void {
    const key = `${operation} ${status}`;
    let found = this.byKey.get(key);
    if (!found) {
      found = new RequestSeries({ operation, status: String(status) });
      this.byKey.set(key, found);
    }
    found.observe(seconds);
  }

  all(): Iterable<RequestSeries> {
    return this.byKey.values();
  }

  /** The series as the histogram `name`, in the Prometheus text format. */
  render(name: string, help: string): string {
    return renderDurations(name, help, this.all());
  }
}

/** Help text as the Prometheus text format escapes it; a label value also escapes its quotes. */
const escapeHelp = (text: string) => text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
const escapeLabel = (value: string) => escapeHelp(value).replace(/"/g, '\\"');

/** The series as the histogram `name` in the Prometheus text format (0.0.4). */
export function renderDurations(name: string, help: string, series: Iterable<RequestSeries>): string {
  const lines = [`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} histogram`];
  for (const { labels, count, sum, perBucket } of series) {
    const rest = `operation="${escapeLabel(labels.operation)}",status="${escapeLabel(labels.status)}"`;
    let cumulative = 0;
    DURATION_BUCKETS.forEach((bound, i) => {
      cumulative += perBucket[i] as number;
      lines.push(`${name}_bucket{le="${bound}",${rest}} ${cumulative}`);
    });
    lines.push(`${name}_bucket{le="+Inf",${rest}} ${count}`, `${name}_sum{${rest}} ${sum}`, `${name}_count{${rest}} ${count}`);
  }
  return `${lines.join('\n')}\n`;
}
