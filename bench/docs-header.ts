/** The top of docs/benchmarks.md, above the sections that each run writes (bench/report.ts). */
import { TARGETS } from './options.js';

export const DOCS_HEADER = `
# Benchmarks

Written by \`npm run bench\` (MySQL/MariaDB) and \`npm run bench -- --db sqlite\`
(\`bench/run.ts\`); each run replaces its own database's section below. Every number in a
section comes from one run on one machine, and every ratio compares two measurements of that
run, so sections from different days or machines can be compared by their ratios only.

How it measures:

- The service runs as in production (migrate, \`createApp\`, listen), in a **child process**,
  with \`LOG_LEVEL=info\` (one log line per request, stdout to /dev/null), \`NODE_ENV=production\`,
  \`AUTH_RATE_LIMIT=0\`, \`LOGIN_FAILURE_LIMIT=0\` and \`PUBLIC_RATE_LIMIT=0\` (the load comes
  from one IP). Users are seeded through the API (register, login, \`PUT /training-profile\`)
  and set to the enterprise plan in the database, so logins never hit the session limit.
  Authenticated loads rotate over the seeded users' tokens.
- Load: autocannon in the parent process, N connections. Before a load's first round comes a
  warm-up of at least 1 s (3 s for a server's first load) and at least 3000 requests: V8
  optimises code after enough calls, and at a login's rate of ~150/s its compiler threads were
  still busy after 10 s. Then the measured run per endpoint.
  req/s is autocannon's per-second average; p50/p99 latency in ms. **ratio** is req/s over
  the baseline's req/s: the targets are stated on it. Ratios are rounded down, so a ratio
  shown as 0.80 is at least 0.80. Rows whose baseline is not one of the targets below
  (check-availability, verify-token, training-profile) show it for reference.
- **server CPU µs/req**: CPU time (user + system, all threads) the server process used during
  the measured run, divided by the requests it answered; **CPU ratio** is the baseline's
  µs/req over ours (1 = as cheap as the baseline). Waiting for a CPU does not count, so on a
  busy, shared machine it is steadier than req/s; it does not count the database server's CPU.
  For the argon2 ceiling, the baseline is the CPU time of one verify while every core verifies.
- Baselines, each in its own child process, measured in the same run:
  - **bare Koa**: Koa + @koa/router answering \`GET /api/v1/survey-data\` with the same bytes
    (the survey file parsed and serialised once) — the ceiling for \`GET /survey-data\`.
  - **auth-read floor**: bare \`node:http\` verifying the bearer JWT with jose (HS256, same
    secret, issuer and audience) and running one primary-key query (\`SELECT id FROM sessions
    WHERE id = ?\`, mysql2 pool of 10, or better-sqlite3) — the ceiling for an authenticated read
    such as \`GET /me\`.
  - **argon2 ceiling**: argon2id verifies per second with the service's parameters (m=19456
    KiB, t=2, p=1) and one verify per CPU core running at once, back to back — the most logins
    per second the CPUs can check. It runs (in the parent, servers idle) for 2 s right before
    and right after each round of logins, and the login ratio is the median of the rounds'
    ratios to their own ceiling: this VM's speed drifts by tens of percent within seconds, more
    than the effects measured. One verify's time alone × cores is also timed and reported: it
    assumes two verifies at once run twice as fast as one, which they do not here (see the
    findings), so it is shown for reference, not as the target.
  - **handleRequest**: Koa with one middleware calling openapi-backend's documented
    \`api.handleRequest({method, path, query, headers, body}, ctx)\` (same spec, \`loadApi\`
    options and validators as the service, \`getSurveyData\` answering the same bytes, plus
    notFound/validationFail/notImplemented handlers, and the same one pino line per request as
    the service so that only dispatch differs), on the spec as is and padded to 200 operations
    (dummy \`GET /pad/<i>\`). Our service is run on the same padded spec (\`loadApi(padded)\`),
    against a second, equally fresh instance on the spec as is.

Targets: \`GET /survey-data\` ≥ 0.75 × bare Koa; \`GET /me\` ≥ 0.6 × auth-read floor; \`POST /login\`
≥ 0.8 × argon2 ceiling; our throughput independent of the number of operations (200 ops / 21
ops ≥ ${TARGETS.scaling}), against handleRequest's drop.
The targets are stated for MySQL, the production database (the issue defines the floor with a
mysql2 query). The SQLite section applies the same ratios for reference only: its floor is a
synchronous in-process better-sqlite3 lookup of a few microseconds, with no round trip, which
any pooled, asynchronous query through Knex costs several times over.

The machine is shared (2 cores, other test suites may run meanwhile): the load average at the
start and end of each run is recorded; treat single numbers as noisy and prefer re-runs
(\`--rounds 3\` interleaves each group of compared loads three times, every other round in
reverse order so that drift does not favour one side, and keeps medians).
To look into a miss: \`npm run bench -- --only me --profile\` writes a CPU profile of the server
per measured load to \`bench/profiles/\` (summarise it with
\`node --import tsx bench/profile-summary.ts <file>\`), \`--service-env NAME=VALUE\` runs the
service with an experimental setting, and \`node --import tsx bench/components.ts\` times the
pieces of a request (logging, validation, JWT, queries, argon2) one by one.
`;
