// Starts the shared control plane once for the integration and e2e projects and hands its
// description to tests (inject('kube')). Tests that need their own world lifecycle start one
// in a separate world dir (test/integration/kube-world.test.ts and node-world.test.ts run the
// world CLI with their own CODER_PREFLIGHT_WORLD_DIR).
import type { TestProject } from 'vitest/node';
import type { KubeInfo } from './world/kube/kube.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    kube: KubeInfo;
  }
}

const shared = globalThis as typeof globalThis & { __cpKube?: { refs: number; info: Promise<KubeInfo> } };

export default async function setup(project: TestProject) {
  const { upKube, downKube } = await import('./world/kube/kube.ts');
  if (!shared.__cpKube) shared.__cpKube = { refs: 0, info: upKube({ verbose: !process.env.CI }) };
  shared.__cpKube.refs++;
  project.provide('kube', await shared.__cpKube.info);
  return async () => {
    const s = shared.__cpKube;
    if (!s || --s.refs > 0) return;
    shared.__cpKube = undefined;
    await downKube();
  };
}
