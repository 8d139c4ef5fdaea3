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

What the profiles (\`--profile\`) pointed at, in order of cost: the \`stat()\` of the survey file on
every request (over a third of \`GET /survey-data\`); jose importing the HMAC key into WebCrypto
on every verify when given a KeyObject (a fifth of \`GET /me\`); one round trip per query (four for
\`GET /me\`); openapi-backend's \`parseRequest\` (qs, cookies, path template, lodash) on every
request; pino's redaction (5 µs of the 6.6 µs a request line cost).

### Logins: below 0.8 of the argon2 ceiling on this machine

\`POST /login\` stays at 0.65–0.7 of the ceiling (the CPU of one lone argon2id verify × 2 cores),
before and after cutting the login from eight statements to five (the row lock, password
re-check and \`last_login\` in one conditional \`UPDATE\`; no per-login purge; READ COMMITTED set
per connection instead of per transaction), which changed nothing measurable. Per-thread CPU
from \`/proc/<pid>/task/*/schedstat\` during a 10-connection login load shows where the rest
goes, per login:

- argon2 in the libuv pool: 8.8–9.2 ms, against 7.9 ms for a verify alone: two or more 19 MiB
  verifies at once share the caches and memory bandwidth (4 verifies at once in the benchmark
  process reach only ~0.92 of the ceiling, with nothing else running);
- the event loop: 1.2–1.4 ms (1.9 ms at one connection), for HTTP, validation, five statements,
  the token and the answer: several times what the same work costs in a read, because argon2
  evicts the loop's code and data from the caches between requests;
- MariaDB, on the same two cores: about 0.6 ms.

That is about 11 ms of the two cores per login against the ceiling's 7.9 ms: the ceiling counts
both cores as free for argon2, while the event loop, the database and the load generator run on
them too. Tried and dropped: \`UV_THREADPOOL_SIZE=2\` (no change), \`UV_THREADPOOL_SIZE=1\` (0.51),
and at most one verify per core at a time (0.62: cores idle while the loop hands over). Where the
database and the load generator run on other machines, logins can use the cores the
database takes here; the target should be re-measured there.
`;
