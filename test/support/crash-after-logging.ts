// Run by test/async-log.test.ts: logs LINES request-like lines with the service's logger, then
// ends as EXIT says: an uncaught exception, process.exit(1), a normal end, or one after 3 s idle.
import { createServiceLogger } from '../../src/log.js';

const logger = createServiceLogger('info');
const lines = Number(process.env.LINES);
for (let i = 0; i < lines; i++) logger.info({ line: i, route: '/survey-data', status: 200 }, 'request');
if (process.env.EXIT === 'throw') throw new Error('crash after logging');
if (process.env.EXIT === 'exit') process.exit(1);
if (process.env.EXIT === 'linger') setTimeout(() => undefined, 3000);
