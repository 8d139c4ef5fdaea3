// express 5 + express-openapi-validator (requests validated against openapi.yaml) + pino-http (its own request log): the most used contract-first Node stack.
import express, { type NextFunction, type Request, type Response } from 'express';
import * as OpenApiValidator from 'express-openapi-validator';
import { pinoHttp } from 'pino-http';
import { SPEC_PATH } from '../../src/paths.js';
import { surveyBytes } from '../spec.js';
import { openQueries } from './queries.js';

const bytes = surveyBytes();
const db = await openQueries(process.env.DATABASE_URL ?? '', process.env.JWT_SECRET ?? '');
const app = express();
app.use(pinoHttp());
app.use(express.json());
app.use(OpenApiValidator.middleware({ apiSpec: SPEC_PATH, validateRequests: true, validateResponses: false }));
app.get('/api/v1/survey-data', (_req, res) => {
  res.type('application/json').send(bytes);
});
app.get('/api/v1/me', async (req, res) => {
  const me = await db.me(req.headers.authorization);
  res.status(me ? 200 : 401).json(me ?? { code: 401, text: 'Unauthorized' });
});
app.use((err: { status?: number; message?: string }, _req: Request, res: Response, _next: NextFunction) => {
  res.status(err.status ?? 500).json({ code: err.status ?? 500, text: err.message });
});
app.listen(Number(process.env.PORT), '127.0.0.1');
