// coder-preflight/api: what a plugin imports. The same defineCheck and defineCollector the
// built-in checks use, the fact types, and the helpers the built-in collectors use to talk to the
// cluster and the database. The types ship in dist/types.
export { defineCheck } from './engine/define.ts';
export { defineCollector, FactError } from './facts/collector.ts';
export { definePlugin } from './plugins/define.ts';
export { listAll, withKubeForPlugins as withKube } from './kubernetes/with-kube.ts';
export { withPostgres } from './postgres/session.ts';
export type { PluginDefinition } from './plugins/define.ts';
export type { CheckDefinition, CheckOutcome, EvaluateContext, Evidence, Options, Profile, ProfileDefaults, Status } from './engine/types.ts';
export type { CollectContext, Collector } from './facts/collector.ts';
export type { FactFailure, FactId, FactMap, FactResult } from './facts/types.ts';
export type { PgSession } from './postgres/session.ts';
// The built-in facts' types (and so FactMap's entries for them).
export type * from './facts/index.ts';
