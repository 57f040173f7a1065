// The part of @kubernetes/client-node that coder-preflight's own collectors use, and all that a
// run loads (through loadK8s). The bundler keeps only what is named here: the whole client is a
// 16.7 MB chunk (its generated API classes), and reading, compiling and holding it cost ~100 ms of
// main-thread time and ~35 MiB of RSS per run (bench/vs-troubleshoot.ts). A collector that needs
// another API group adds its class here (tsc says so: K8sModule is this module's type). Plugins
// get the whole client (withKubeForPlugins in with-kube.ts).
export { KubeConfig, ApiregistrationV1Api, AppsV1Api, AuthorizationV1Api, CoreV1Api, StorageV1Api, VersionApi } from '@kubernetes/client-node';
// kubernetes.admission: the generic object API (any kind, server-side dry-run), with its raw-body HTTP wrapper.
export { KubernetesObjectApi, PatchStrategy, wrapHttpLibrary } from '@kubernetes/client-node';
