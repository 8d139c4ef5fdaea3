// express 5 + express-openapi-validator (requests validated against openapi.yaml) + pino-http:
// the most used contract-first Node stack, with its own request log, serving GET /survey-data
// (the service's bytes) and GET /me (the service's statements).
import express, { type NextFunction, type Request, type Response } from 'express';
import * as OpenApiValidator from 'express-openapi-validator';
import { pinoHttp } from 'pino-http';
import { SPEC_PATH } from '../../src/paths.js';
import { surveyBytes } from '../spec.js';
import { bearerVerifier, openQueries } from './queries.js';

const bytes = surveyBytes();
const db = await openQueries(process.env.DATABASE_URL ?? '');
const verify = bearerVerifier(process.env.JWT_SECRET ?? '');
const app = express();
app.use(pinoHttp());
app.use(express.json());
app.use(OpenApiValidator.middleware({ apiSpec: SPEC_PATH, validateRequests: true, validateResponses: false }));
app.get('/api/v1/survey-data', (_req, res) => {
  res.type('application/json').send(bytes);
});
app.get('/api/v1/me', async (req, res) => {
  const caller = await verify(req.headers.authorization);
  const me = caller && (await db.me(caller.sessionId, caller.userId));
  if (!me) res.status(401).json({ code: 401, text: 'Unauthorized' });
  else res.json(me);
});
app.use((err: { status?: number; message?: string }, _req: Request, res: Response, _next: NextFunction) => {
  res.status(err.status ?? 500).json({ code: err.status ?? 500, text: err.message });
});
app.listen(Number(process.env.PORT), '127.0.0.1');
