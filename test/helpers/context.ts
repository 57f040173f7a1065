import type { Deployment } from '../../src/engine/types.ts';

/** The deployment assumed when no values file says otherwise. */
export const ONE_REPLICA: Deployment = { replicas: 1, replicasSource: 'default (1 replica)' };
