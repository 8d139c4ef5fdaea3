import { type HandlerMap, RawJson } from '../operations.js';
import { etagMatches, type SurveyData, type SurveyService } from './survey.service.js';

// Public reference data: any cache may keep it, but must revalidate with the ETag first.
const REVALIDATE = 'public, no-cache';

export function createSurveyHandlers(service: SurveyService) {
  return {
    getSurveyData: async ({ headers }) => {
      const { bytes, etag } = await service.load();
      const ifNoneMatch = headers['if-none-match'];
      if (etagMatches(typeof ifNoneMatch === 'string' ? ifNoneMatch : undefined, etag)) {
        return { status: 304, body: undefined, headers: { ETag: etag, 'Cache-Control': REVALIDATE } };
      }
      return { status: 200, body: new RawJson<SurveyData>(bytes), headers: { ETag: etag, 'Cache-Control': REVALIDATE } };
    },
  } satisfies Partial<HandlerMap>;
}
