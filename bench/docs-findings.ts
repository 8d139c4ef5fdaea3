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

### Logins: the ceiling is what the cores give with one verify each

Until 2026-11-24 the login ceiling was one verify, timed alone, × cores. That assumes two
verifies at once run twice as fast as one. They do not on this VM. argon2 by itself, one
verify per core back to back in the benchmark process with the servers idle, reached 0.80–1.00
of that figure (median about 0.88) in eight 2-s samples, each between two sets of 40 lone
verifies; in the five rounds of the MySQL run below it reached 0.85–0.93. Each verify streams
19 MiB through caches and memory bandwidth that the two cores share, and the library maps and
clears those 19 MiB in the kernel on every verify (a fifth of a verify's CPU is system time).

Against the old figure, a server doing nothing but argon2 would have reached about 0.88,
leaving 0.08 for HTTP, the database and the load generator: the figure measured the machine as
much as the service. The ceiling is now argon2id verifies per second with one verify per core
running at once, measured right before and right after each round of logins. One verify's
time × cores is still measured and printed beside it, with the share of it argon2 reached.

| Run (2026-11-24) | vs argon2, all cores (the target) | vs one verify × cores (reference) |
| --- | ---: | ---: |
| MySQL, full run, 5 rounds (below) | 0.83 (rounds 0.75–0.86) | 0.74 (0.64–0.81) |
| MySQL, an earlier full run, 5 rounds | 0.82 (0.73–0.83) | 0.72 (0.63–0.79) |
| MySQL, logins only, 3 rounds | 0.85 (0.83–0.89) | 0.76 (0.73–0.78) |
| SQLite, full run, 5 rounds (below) | 0.95 (0.85–1.02) | 0.81 (0.75–0.82) |

On MySQL the service uses about 3 ms of CPU per login more than one verify costs while every
core verifies (20.0 vs 16.9 ms in the full run below); the load generator and MariaDB take
their share of the same two cores besides. Where it goes, from \`perf record -e cpu-clock -a
-g\` over 6 s of a 10-connection login load, system-wide, plus per-thread CPU from \`/proc\`:

- **argon2: 51%.** Add the kernel zeroing fresh pages for it (\`clear_page_erms\`, 11.5%) and
  memset (5.4%, most likely the library wiping its blocks). @node-rs/argon2 maps its 19 MiB
  from the OS on every verify (mmap, huge pages) and unmaps it afterwards; the ceiling's
  verifies pay the same.
- **The service's event loop: 12.7%.** That is 1.3–2.3 ms per login while argon2 runs beside
  it, against about 1.0 ms when verifies cost nearly nothing. In a CPU profile of the service
  (\`--profile\`) the largest item is the socket writes to MariaDB (\`writeBuffer\`): a loopback
  write also runs the receiving side and wakes MariaDB's thread.
- **V8's compiler and GC threads:** 5.6% while the code is still being optimised, then
  0.1–0.2 ms per login (hence the longer warm-up).
- **MariaDB:** 0.6–0.9 ms per login.

**Changed and kept:** the session is opened by one \`INSERT … SELECT … FROM users … FOR UPDATE\`.
It re-checks the password hash and, for limited plans, the session count. \`last_login\` follows
in its own statement. A login is now three statements instead of five, with no explicit
transaction. Paired A/B rounds against the previous build, alternating on one database, gave:

- server CPU per login: 14.5 → 13.0 ms;
- logins/s: +10% (median of 8 rounds).

**Tried and dropped:**

| What | Result |
| --- | --- |
| \`UV_THREADPOOL_SIZE=2\` | no change |
| \`UV_THREADPOOL_SIZE=1\` | 0.51 of the old ceiling |
| At most one verify per core at a time | 0.62 of the old ceiling (cores idle while the loop hands over) |
| glibc malloc thresholds (\`GLIBC_TUNABLES\` mmap and trim thresholds) | no change: the 19 MiB is not mapped by malloc (strace) |
| \`--max-semi-space-size=64\` | no change in V8's thread CPU |
| mimalloc options (\`MIMALLOC_PURGE_DELAY=-1\`, \`ARENA_EAGER_COMMIT\`, \`RESERVE_OS_MEMORY\`, \`ALLOW_LARGE_OS_PAGES\`) | the per-verify mmap/munmap stays (strace) |
| 32 database connections instead of 10 | worse |

**What would add margin:** one statement fewer per login (\`last_login\` derived from the newest
session, with the purge folding expired sessions into it; removing that \`UPDATE\` in an
experiment gave about 0.03 more of the old ceiling, at the cost of a subquery in \`GET /me\`'s
statement), and MariaDB on another machine, as in production, which takes its CPU off these two
cores. Knex adds about 75 µs of CPU per query over mysql2 alone (220 vs 146 µs for \`GET /me\`'s
statement, one at a time).
`;
