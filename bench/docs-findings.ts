/**
 * The hand-written part of docs/benchmarks.md: what the profiles of missed targets showed and
 * what was changed. Kept here because bench/report.ts rewrites the whole file on every run.
 */
export const DOCS_FINDINGS = `
## What the profiles showed, and what changed

Measured on 2026-11-24 on a 2-core Intel Xeon VM with MariaDB 10.11 on the same machine, one
endpoint at a time (\`--only ...\`), before and after each change; server CPU per request, and the
ratio to the baseline of the same run. Syscalls are expensive on this VM (a socket write costs
about 20 µs), so round trips and file checks weigh more than they would on bare metal.

| Change (commit) | GET /survey-data | GET /me | GET /verify-token |
| --- | ---: | ---: | ---: |
| Start of the day | 111 µs (0.33) | 654 µs (0.21) | 437 µs (0.30) |
| Survey file checked at most once a second (\`SURVEY_DATA_RECHECK_MS\`); header-only operations validated by their compiled validator without request parsing; the request log line without pino's redact pass; metric series looked up once; JWT key imported once as a CryptoKey | 38 µs (1.03) | 334 µs (0.38) | 320 µs (0.40) |
| The caller read with the session check, in one statement (\`GET /me\` and \`/user-data\`: with settings and questionnaire joined) | — | 306 µs (0.44) | 269 µs (0.48) |
| Verified tokens remembered until they expire (jose's WebCrypto HMAC job was ~25 µs of main-thread time plus a thread-pool round trip per request) | — | 192 µs (0.67) | 153 µs (0.86) |

On SQLite, Knex had better-sqlite3 prepare every statement anew; for \`GET /me\`'s join that cost
more than running it. Prepared statements are now kept per connection (349 → 260 µs per request).

What the profiles (\`--profile\`) pointed at, in order of cost: the \`stat()\` of the survey file on
every request (over a third of \`GET /survey-data\`); jose importing the HMAC key into WebCrypto
on every verify when given a KeyObject (a fifth of \`GET /me\`); one round trip per query (four for
\`GET /me\`); openapi-backend's \`parseRequest\` (qs, cookies, path template, lodash) on every
request; pino's redaction (5 µs of the 6.6 µs a request line cost).

### Logins: below 0.8 of the argon2 ceiling

\`POST /login\` reaches 0.64–0.75 of the ceiling on MySQL over the runs of this day (a fresh
server's first load is the lowest) and 0.78–0.82 on SQLite, where no database server shares
the cores. Cutting the login from eight statements to five (row lock,
password re-check and \`last_login\` in one conditional \`UPDATE\`; no per-login purge; READ
COMMITTED set per connection instead of per transaction) changed nothing measurable. Per-thread
CPU from \`/proc/<pid>/task/*/schedstat\` during a 10-connection login load, per login:

- argon2 in the libuv pool: 8.8–9.2 ms, against 7.9 ms for a verify alone. Verifies running at
  once share caches and memory bandwidth: 4 at once in the benchmark process, with nothing else
  running, reach only ~0.92 of the ceiling.
- the event loop: 1.2–1.4 ms (1.9 ms at one connection) for HTTP, validation, five statements,
  the token and the answer; the same kind of work costs about 0.2 ms in a read, so most of the
  difference is presumably argon2 evicting the loop's data from the caches between requests.
- MariaDB, on the same two cores: about 0.6 ms.

That is about 11 ms of the two cores per login against the ceiling's 7.9 ms: the ceiling counts
both cores as free for argon2, while the event loop, the database and the load generator run on
them too. Tried and dropped: \`UV_THREADPOOL_SIZE=2\` (no change), \`UV_THREADPOOL_SIZE=1\` (0.51),
at most one verify per core at a time (0.62: cores idle while the loop hands over), glibc
malloc thresholds (no change). With the database on another machine, as in production, the
target should be measured again; on this machine it is not met.
`;
