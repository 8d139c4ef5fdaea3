import type { HandlerMap } from '../operations.js';
import { preconditionOf } from '../preconditions.js';
import type { TrainingService } from './training.service.js';

export function createTrainingHandlers(service: TrainingService) {
  return {
    getTrainingProfile: async ({ auth }) => {
      if (!auth.person) throw new Error('getTrainingProfile needs the person caller view');
      const { profile, etag, ...rest } = await service.get(auth.person);
      return { status: 200, headers: { ETag: etag }, body: { training_profile: profile, ...rest } };
    },

    updateTrainingProfile: async ({ auth, body, headers }) => {
      const { profile, etag, ...rest } = await service.replace(auth.userId, body, preconditionOf(headers['if-match']));
      return { status: 200, headers: { ETag: etag }, body: { message: 'Training profile updated successfully', training_profile: profile, ...rest } };
    },
  } satisfies Partial<HandlerMap>;
}
