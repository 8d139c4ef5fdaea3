import { createSessionsRepository } from '../auth/sessions.repository.js';
import { systemClock, toIso } from '../clock.js';
import { loadConfig } from '../config.js';
import { createDb } from '../db/db.js';
import { PERSON_QUERY } from '../profile/profile.repository.js';
import { createSecurityLog } from '../security/security-log.js';
import { createUsersRepository } from '../users/users.repository.js';
import { AdminError, createAccountAdmin } from './account-admin.js';

const USAGE = `usage: npm run admin -- <command> <username>

commands:
  suspend <username>          suspend the account and end all its sessions
  unsuspend <username>        let a suspended account log in again
  list-sessions <username>    list the account's active sessions
  revoke-sessions <username>  end all the account's sessions`;

const [command, username, ...extra] = process.argv.slice(2);
if (!command || !username || extra.length > 0) {
  console.error(USAGE);
  process.exit(2);
}

const { config } = loadConfig(process.env);
const db = createDb(config.databaseUrl);
const users = createUsersRepository(db);
const securityLog = createSecurityLog({
  db,
  clock: systemClock,
  retentionMs: config.securityEventRetentionDays * 86400 * 1000,
  appUrl: config.appUrl,
  accountOf: (id, exec) => users.findById(id, exec),
});
const admin = createAccountAdmin({ db, users, sessions: createSessionsRepository(db, PERSON_QUERY), securityLog, clock: systemClock });

async function run(): Promise<void> {
  switch (command) {
    case 'suspend':
      console.log(`suspended ${username}; ${await admin.suspend(username as string)} session(s) ended`);
      return;
    case 'unsuspend':
      await admin.unsuspend(username as string);
      console.log(`${username} can log in again`);
      return;
    case 'list-sessions':
      for (const s of await admin.listSessions(username as string)) {
        console.log([s.id, `created ${toIso(s.createdAt)}`, `last used ${toIso(s.lastUsedAt)}`, s.ipAddress ?? '-', s.userAgent ?? '-'].join('\t'));
      }
      return;
    case 'revoke-sessions':
      console.log(`${await admin.revokeSessions(username as string)} session(s) of ${username} ended`);
      return;
    default:
      console.error(`unknown command "${command}"\n\n${USAGE}`);
      process.exitCode = 2;
  }
}

try {
  await run();
} catch (err) {
  if (!(err instanceof AdminError)) throw err;
  console.error(err.message);
  process.exitCode = 1;
} finally {
  await db.destroy();
}
