// Bare Koa + @koa/router answering GET /survey-data with the service's bytes: no validation, no log. The ceiling for GET /survey-data.
import Router from '@koa/router';
import Koa from 'koa';
import { surveyBytes } from '../spec.js';

const bytes = surveyBytes();
const router = new Router();
router.get('/api/v1/survey-data', (ctx) => {
  ctx.type = 'application/json';
  ctx.body = bytes;
});
new Koa().use(router.routes()).listen(Number(process.env.PORT), '127.0.0.1');
