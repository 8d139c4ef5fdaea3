import type { HandlerMap } from '../operations.js';
import type { TrainingService } from './training.service.js';

export function createTrainingHandlers(service: TrainingService) {
  return {
    getTrainingProfile: async ({ auth }) => {
      const { profile, ...rest } = await service.get(auth.userId);
      return { status: 200, body: { training_profile: profile, ...rest } };
    },

    updateTrainingProfile: async ({ auth, body }) => {
      const { profile, ...rest } = await service.replace(auth.userId, body);
      return { status: 200, body: { message: 'Training profile updated successfully', training_profile: profile, ...rest } };
    },
  } satisfies Partial<HandlerMap>;
}
