// The authenticated-read floor: bare node:http, jose verifying the bearer JWT as the service does, and one primary-key query. The ceiling for GET /me.
import { createServer } from 'node:http';
import { openQueries } from '../peers/queries.js';

const db = await openQueries(process.env.DATABASE_URL ?? '', process.env.JWT_SECRET ?? '');
createServer((req, res) => {
  db.session(req.headers.authorization).then((row) => {
    res.writeHead(row ? 200 : 401, { 'content-type': 'application/json' });
    res.end(JSON.stringify(row ?? { code: 401, text: 'Unauthorized' }));
  });
}).listen(Number(process.env.PORT), '127.0.0.1');
