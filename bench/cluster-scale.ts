// The cluster-scale benchmark: a full passive run (and the equivalent subset) against a world seeded
// with 5,000 kwok nodes, 50 StorageClasses, 200 DaemonSets and 2,000 namespaces, side by side with
// troubleshoot's preflight (clusterInfo + clusterResources + the cluster-version, StorageClass and
// node-resources analyzers). Budget (issue): <= 2 s wall and <= 150 MiB peak RSS with
// kubernetes.node-groups reading every node. Seeding takes minutes; KEEP=1 keeps the world for re-runs.
// Run: node bench/cluster-scale.ts   (RUNS=15 by default; see bench/vs-troubleshoot.ts)
process.env.SCALE = '1';
await import('./vs-troubleshoot.ts');
