/**
 * `npm run test:contract`: Dredd 14 against openapi.yaml and a freshly started service.
 *
 * 1. Starts `node --import tsx src/server.ts` (one process, so SIGTERM really stops it) on a new
 *    SQLite file in a temp directory, a free port and a random JWT secret. TRUST_PROXY=1 lets the
 *    hooks give every request its own client IP (X-Forwarded-For), so the per-IP auth rate limit
 *    only trips where a hook exhausts it on purpose (the 429 transactions). The survey data is a
 *    temp copy, so the hooks can remove or break it for the survey 404/500 transactions. Its
 *    mails go to an SMTP server in this process, which writes each one to a temp folder where
 *    the hooks read the verification and reset links.
 * 2. Waits until GET /healthz answers 200.
 * 3. Runs Dredd with test/contract/hooks.cjs and base URL http://127.0.0.1:<port>/api/v1.
 * 4. Stops the service (SIGTERM, waits for it to exit), prints Dredd's totals and exits with
 *    Dredd's exit code (1 as well when the hookfile did not load or the service died).
 *
 * See docs/dredd.md for what Dredd cannot do with OpenAPI 3 and how the hooks deal with it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { authModeOf } from '../../src/http/auth.js';
import { rateLimitOf } from '../../src/http/rate-limit.js';
import { listenerOf, loadApi, servedAtRoot } from '../../src/http/spec.js';
import { specDocument } from '../../src/spec-document.js';
import { startMailbox } from '../support/mailbox.js';
import { freePort, waitFor200 } from '../support/net.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const HOOKFILE = join(ROOT, 'test/contract/hooks.cjs');
const SPEC = join(ROOT, 'openapi.yaml');
const STARTUP_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((r) => child.once('exit', (code) => r(code)));
}

async function stop(service: ChildProcess): Promise<void> {
  if (service.exitCode !== null || service.signalCode !== null) return;
  service.kill('SIGTERM');
  const timer = setTimeout(() => service.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited(service);
  clearTimeout(timer);
}

interface Totals {
  passing: number;
  failing: number;
  errors: number;
  skipped: number;
  total: number;
}

function parseTotals(output: string): Totals | undefined {
  const m = /complete: (\d+) passing, (\d+) failing, (\d+) errors, (\d+) skipped, (\d+) total/.exec(output);
  if (!m) return undefined;
  const [passing, failing, errors, skipped, total] = m.slice(1).map(Number) as [number, number, number, number, number];
  return { passing, failing, errors, skipped, total };
}

/** Runs Dredd, echoing its output except the repetitive parser warnings (counted instead). */
function runDredd(baseUrl: string, env: NodeJS.ProcessEnv): Promise<{ code: number; output: string; parserWarnings: number }> {
  const require = createRequire(import.meta.url);
  const dreddBin = join(dirname(require.resolve('dredd/package.json')), 'bin/dredd');
  const args = [dreddBin, SPEC, baseUrl, '--hookfiles', HOOKFILE, '--language', 'nodejs', '--loglevel', 'warning', '--no-color'];
  const verbose = process.env.CONTRACT_VERBOSE === '1';
  return new Promise((resolveRun) => {
    const dredd = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let parserWarnings = 0;
    const forward = (target: NodeJS.WriteStream) => {
      let pending = '';
      return (chunk: Buffer) => {
        const text = pending + chunk.toString('utf8');
        output += chunk.toString('utf8');
        const lines = text.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) {
          const noise = line.includes('API description parser warning') || /padLevels|--trace-warnings/.test(line);
          if (line.includes('API description parser warning')) parserWarnings += 1;
          if (!noise || verbose) target.write(`${line}\n`);
        }
      };
    };
    dredd.stdout.on('data', forward(process.stdout));
    dredd.stderr.on('data', forward(process.stderr));
    dredd.on('exit', (code, signal) => resolveRun({ code: code ?? (signal ? 1 : 0), output, parserWarnings }));
  });
}

/**
 * What the hooks need to know of each operation, asked of the service's own code so that the
 * hooks do not restate its rules: the auth mode, whether it is served at the root, its limit.
 */
async function contractRules() {
  const api = await loadApi();
  const operations = Object.fromEntries(
    api.getOperations().map((op) => [
      `${op.method.toUpperCase()} ${op.path}`,
      {
        auth: authModeOf(op, api),
        atRoot: servedAtRoot(api, op.path),
        listener: listenerOf(api, op.path),
        rateLimit: rateLimitOf(op, api) ?? null,
      },
    ]),
  );
  return { document: specDocument(), operations };
}

async function main(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'contract-'));
  const surveyFile = join(dir, 'survey_data.json');
  copyFileSync(join(ROOT, 'data/survey_data.json'), surveyFile);
  const port = await freePort();
  const metricsPort = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const authRateLimit = '5';
  // The service's mails go to a real SMTP server; each one it receives is written to mailDir,
  // where the hooks find the verification and reset links they need.
  const mailDir = join(dir, 'mail');
  mkdirSync(mailDir);
  let mailCount = 0;
  const mailbox = await startMailbox((mail) => {
    mailCount += 1;
    writeFileSync(join(mailDir, `${String(mailCount).padStart(5, '0')}.json`), JSON.stringify({ to: mail.to, subject: mail.subject, text: mail.text }));
  });

  const serviceEnv: NodeJS.ProcessEnv = {
    ...process.env,
    HOST: '127.0.0.1',
    PORT: String(port),
    METRICS_PORT: String(metricsPort),
    DATABASE_URL: `sqlite:${join(dir, 'contract.db')}`,
    JWT_SECRET: randomBytes(48).toString('base64url'),
    AUTH_RATE_LIMIT: authRateLimit,
    RATE_LIMIT_STORE: 'memory',
    TRUST_PROXY: '1',
    SURVEY_DATA_FILE: surveyFile,
    // The hooks break the survey file for the 404 and 500 transactions and expect the very next
    // request to see it.
    SURVEY_DATA_RECHECK_MS: '0',
    SMTP_URL: mailbox.url,
    LOG_LEVEL: 'warn',
  };
  delete serviceEnv.CORS_ORIGINS;

  const rulesFile = join(dir, 'rules.json');
  writeFileSync(rulesFile, JSON.stringify(await contractRules()));

  console.log(`contract: starting the service on ${origin} (database ${serviceEnv.DATABASE_URL})`);
  const service = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: ROOT,
    env: serviceEnv,
    stdio: ['ignore', 'inherit', 'inherit'],
  });

  // Interrupted (Ctrl-C, CI timeout): stop the service too, instead of leaving it running.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`contract: ${signal}; stopping the service`);
      void stop(service).finally(() => {
        rmSync(dir, { recursive: true, force: true });
        process.exit(1);
      });
    });
  }

  let exitCode = 1;
  try {
    await waitFor200(`${origin}/healthz`, { timeoutMs: STARTUP_TIMEOUT_MS, process: service });
    const dreddEnv: NodeJS.ProcessEnv = {
      ...process.env,
      CONTRACT_ORIGIN: origin,
      CONTRACT_SURVEY_FILE: surveyFile,
      CONTRACT_MAIL_DIR: mailDir,
      CONTRACT_RULES: rulesFile,
      CONTRACT_METRICS_PORT: String(metricsPort),
    };
    const { code, output, parserWarnings } = await runDredd(`${origin}/api/v1`, dreddEnv);
    exitCode = code;
    if (output.includes('Skipping hook loading')) {
      console.error('contract: the hookfile did not load (see above); failing the run');
      exitCode = 1;
    }
    if (output.includes('contract-hooks: ERROR')) {
      console.error('contract: a hook reported an error (see "contract-hooks: ERROR" above); failing the run');
      exitCode = 1;
    }
    if (service.exitCode !== null || service.signalCode !== null) {
      console.error('contract: the service exited while Dredd was running; failing the run');
      exitCode = 1;
    }
    const totals = parseTotals(output);
    console.log('');
    if (parserWarnings > 0) {
      console.log(
        `contract: ${parserWarnings} Dredd API description parser warnings hidden (unsupported OpenAPI 3 keywords; CONTRACT_VERBOSE=1 shows them; see docs/dredd.md)`,
      );
    }
    if (totals) {
      console.log(
        `contract: Dredd totals: ${totals.passing} passing, ${totals.failing} failing, ${totals.errors} errors, ${totals.skipped} skipped, ${totals.total} total`,
      );
      if (totals.failing > 0 || totals.errors > 0) exitCode = exitCode || 1;
    } else {
      console.error('contract: Dredd printed no totals');
      exitCode = exitCode || 1;
    }
  } catch (err) {
    console.error(`contract: ${err instanceof Error ? err.message : String(err)}`);
    exitCode = 1;
  } finally {
    await stop(service);
    await mailbox.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`contract: service stopped; exit code ${exitCode}`);
  return exitCode;
}

process.exitCode = await main();
