#!/usr/bin/env bash
# Quick start: make the machine ready, start a real local world (PostgreSQL 17 and a Kubernetes
# control plane built from Go modules), run coder-preflight against it, stop the world.
#   npm run demo              the above
#   npm run demo -- --keep    leave the world running (stop it with: npm run world -- down)
set -euo pipefail
cd "$(dirname "$0")/.."
keep=0
[ "${1:-}" = "--keep" ] && keep=1
bash scripts/setup.sh --world
export PATH="$PWD/node_modules/.bin:$PATH"

echo "demo: starting the local world (PostgreSQL 17 + kube-apiserver, etcd, controller-manager, scheduler, kwok)…" >&2
node --experimental-strip-types --no-warnings=ExperimentalWarning test/world/cli.ts up --pg 17 --kube > /dev/null
[ "$keep" = 1 ] || trap 'node --experimental-strip-types --no-warnings=ExperimentalWarning test/world/cli.ts down' EXIT
world=.world/world.json
kubeconfig=$(node -p "require('./$world').kube.kubeconfig")
pgurl=$(node -p "require('./$world').postgres[0].urls.coder")

echo "demo: coder-preflight --kubeconfig $kubeconfig --postgres-url postgres://coder:…@127.0.0.1/coder --coder-version 2.18.0 --control-plane-selector eks.amazonaws.com/nodegroup=coder" >&2
rc=0
node bin/coder-preflight.js --kubeconfig "$kubeconfig" --postgres-url "$pgurl" --coder-version 2.18.0 --control-plane-selector eks.amazonaws.com/nodegroup=coder || rc=$?
if [ "$keep" = 1 ]; then
  echo "demo: the world keeps running; details in $world; stop it with: npm run world -- down" >&2
fi
exit $rc
