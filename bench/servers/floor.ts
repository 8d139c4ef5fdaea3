// The authenticated-read floor: bare node:http, jose verifying the bearer JWT (the service's
// secret, issuer and audience), and one primary-key query. The ceiling for GET /me.
import { createServer } from 'node:http';
import { jwtVerify } from 'jose';
import { AUDIENCE, ISSUER } from '../../src/auth/tokens.js';
import { openQueries } from '../peers/queries.js';

const key = new TextEncoder().encode(process.env.JWT_SECRET);
const db = await openQueries(process.env.DATABASE_URL ?? '');
createServer((req, res) => {
  const token = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? '';
  jwtVerify(token, key, { algorithms: ['HS256'], issuer: ISSUER, audience: AUDIENCE })
    .then(({ payload }) => db.session(String(payload.sid)))
    .then((row) => {
      res.writeHead(row ? 200 : 401, { 'content-type': 'application/json' });
      res.end(JSON.stringify(row ?? { code: 401, text: 'Unauthorized' }));
    })
    .catch(() => {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end('{"code":401,"text":"Unauthorized"}');
    });
}).listen(Number(process.env.PORT), '127.0.0.1');
