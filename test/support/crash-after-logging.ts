// Run by test/async-log.test.ts: logs LINES request-like lines with the service's logger, then
// ends as EXIT says: an uncaught exception, process.exit(1), or a normal end.
import { createServiceLogger } from '../../src/log.js';

const logger = createServiceLogger('info');
const lines = Number(process.env.LINES);
for (let i = 0; i < lines; i++) logger.info({ line: i, route: '/survey-data', status: 200 }, 'request');
if (process.env.EXIT === 'throw') throw new Error('crash after logging');
if (process.env.EXIT === 'exit') process.exit(1);
