// The check registry. A new check is one file under checks/<category>/<name>.ts (its id is
// "<category>.<name>"), one test file under test/unit/checks/, and one line here.
import type { AnyCheck } from '../src/engine/types.ts';
import kubernetesApi from './kubernetes/api.ts';
import kubernetesApiServices from './kubernetes/apiservices.ts';
import kubernetesCni from './kubernetes/cni.ts';
import kubernetesStorageClass from './kubernetes/storage-class.ts';
import postgresConnect from './postgres/connect.ts';
import postgresConnections from './postgres/connections.ts';
import postgresListenNotify from './postgres/listen-notify.ts';
import postgresPrivileges from './postgres/privileges.ts';
import postgresVersion from './postgres/version.ts';

export const checks: readonly AnyCheck[] = [kubernetesApi, kubernetesApiServices, kubernetesStorageClass, kubernetesCni, postgresConnect, postgresVersion, postgresPrivileges, postgresConnections, postgresListenNotify];
