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

\`POST /login\` reaches 0.72–0.85 of the ceiling per round on MySQL, with medians of 0.74–0.79
over the full runs of 2026-11-24.

On SQLite the same service reaches 0.88–1.05 per round (median 0.93):

| Database | Server CPU per login | One verify |
| --- | ---: | ---: |
| SQLite | 10.6 ms | 10.3 ms |
| MySQL | 11.1–12.3 ms | 9.3–11.1 ms |

HTTP, validation, the token and the log line cost little beside the verify. What costs is the
MySQL round trips: about 1.5 ms of the event loop per login for three statements while argon2
runs beside it, plus MariaDB's own CPU on the same two cores.

Two changes to the measurement came first:

- **Per-round ceilings.** A lone verify took anywhere from 8.3 to 14 ms between samples
  seconds apart. So each round of logins is now compared with verifies timed right before and
  right after it, and the target is the median of the rounds' ratios.
- **Longer warm-up.** V8's compiler threads still used 0.66 ms per login 10 s into a login load;
  after 20 s they used 0.1–0.2 ms. A load's first round now warms up for at least 3000 requests.

Where the two cores go during a 10-connection login load. The figures are from \`perf record -e
cpu-clock -a -g\` over 6 s, system-wide, plus per-thread CPU from \`/proc\`:

- **argon2: 51%.** Add the kernel zeroing fresh pages for it (\`clear_page_erms\`, 11.5%) and
  memset (5.4%, most likely the library wiping its blocks). @node-rs/argon2 maps its 19 MiB from
  the OS on every verify (mmap, huge pages) and unmaps it afterwards, so every verify faults in
  and clears 19 MiB. A lone verify pays the same: 25–30% of its CPU is system time. It is
  therefore part of the ceiling too.
- **The service's event loop: 12.7%.** That is 1.3–2.3 ms per login while argon2 runs beside it,
  against about 1.0 ms when verifies cost nearly nothing. argon2 streams 19 MiB through the
  caches the loop also uses.
- **V8's compiler and GC threads:** 5.6% while the code is still being optimised, then
  0.1–0.2 ms per login.
- **MariaDB:** 0.6–0.9 ms per login.

So each login costs about 2.5–3 ms of the two cores besides its verify. With verifies of
9–10 ms, that puts the ratio near 10 / (10 + 2.7) ≈ 0.78 at best. A fast moment of the machine
(shorter verifies) lowers the ratio, because the rest weighs more.

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
| \`UV_THREADPOOL_SIZE=1\` | 0.51 |
| At most one verify per core at a time | 0.62 (cores idle while the loop hands over) |
| glibc malloc thresholds | no change |
| \`--max-semi-space-size=64\` | no change in V8's thread CPU |
| mimalloc options (\`MIMALLOC_PURGE_DELAY=-1\`, \`ARENA_EAGER_COMMIT\`, \`RESERVE_OS_MEMORY\`, \`ALLOW_LARGE_OS_PAGES\`) | the per-verify mmap/munmap stays (strace) |

The page clearing cannot be avoided from outside the library.

**What meeting the target would take:** everything but the verify (event loop, MariaDB, kernel
networking, the load generator) would have to fit in about 2.2 ms per login at 9 ms verifies,
where it takes about 2.7 ms now. Two ways to close that gap:

- **One statement fewer per login.** \`last_login\` could be derived from the newest session
  instead of written at every login, with the purge folding expired sessions into it. Removing
  that \`UPDATE\` in an experiment gave 0.75–0.88 per round.
- **MariaDB on another machine**, as in production. The database's share then leaves these
  cores.

One known share of the cost: Knex adds about 75 µs of CPU per query over mysql2 alone (220 vs
146 µs for \`GET /me\`'s statement, one at a time). On this machine the target is not met.
`;
