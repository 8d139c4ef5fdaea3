// fastify 5 + fastify-openapi-glue (routes and request schemas from openapi.yaml) with its own request log: fastify's contract-first route.
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import openapiGlue from 'fastify-openapi-glue';
import { SPEC_PATH } from '../../src/paths.js';
import { surveyBytes } from '../spec.js';
import { openQueries } from './queries.js';

const bytes = surveyBytes();
const db = await openQueries(process.env.DATABASE_URL ?? '', process.env.JWT_SECRET ?? '');
const handlers = {
  getSurveyData: async (_req: FastifyRequest, reply: FastifyReply) => reply.type('application/json').send(bytes),
  getMe: async (req: FastifyRequest, reply: FastifyReply) => {
    const me = await db.me(req.headers.authorization);
    return me ? reply.send(me) : reply.code(401).send({ code: 401, text: 'Unauthorized' });
  },
};
const app = Fastify({ logger: true, ajv: { customOptions: { strict: false } } });
await app.register(openapiGlue, { specification: SPEC_PATH, serviceHandlers: handlers, prefix: 'api/v1' });
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
