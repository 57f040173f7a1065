#!/usr/bin/env bash
# Build the Go binaries of the world's real node (issue 4) from the Go module proxy:
#   kube-router            NetworkPolicy enforcer, run firewall-only (iptables + ipset)
#   local-path-provisioner dynamic hostPath provisioner, run out of cluster
#   pause                  static sandbox process, packed into the pause image
# kubelet comes from scripts/build-kube.sh (same k8s.io/kubernetes pin as the control plane).
# Output: $CACHE/bin/node-<key>/ (outside the clone, never committed). Prints the directory on
# the last line of stdout. Re-running with everything present is a no-op.
#   scripts/build-node.sh --print-bin-dir   print the directory without building; exit 1 if incomplete
set -euo pipefail

KUBE_ROUTER_VERSION=${KUBE_ROUTER_VERSION:-v2.10.0}   # go 1.26.0; recipe §7
# The recipe's pin is v0.0.34, but the module proxy reachable here answers 403 "This module
# version is not available" for it; `go list -m -versions` offers only v0.0.30 (go 1.23.0,
# same flags: --kubeconfig, --helper-pod-file, --config, ...).
LPP_VERSION=${LPP_VERSION:-v0.0.30}
here=$(cd "$(dirname "$0")/.." && pwd)
GO=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
CACHE=${CODER_PREFLIGHT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/coder-preflight}

pause_src="$here/test/world/go/node/pause"
pause_sum=$(cat "$pause_src/go.mod" "$pause_src/main.go" | sha256sum | cut -c1-10)
gov=$("$GO" env GOVERSION)
kr_sum=$(cat "$here/test/world/go/node/kube-router/go.mod" | sha256sum | cut -c1-6)
key="kr${KUBE_ROUTER_VERSION#v}.${kr_sum}-lpp${LPP_VERSION#v}-pause${pause_sum}-${gov}"
out="$CACHE/bin/node-$key"
if [ "${1:-}" = --print-bin-dir ]; then
  for b in pause kube-router local-path-provisioner; do
    [ -x "$out/$b" ] || { echo "build-node: $out/$b missing; run scripts/build-node.sh" >&2; exit 1; }
  done
  echo "$out"
  exit 0
fi
mkdir -p "$out"

export CGO_ENABLED=0 GOFLAGS="${GOFLAGS:--buildvcs=false}" GOTOOLCHAIN=local
t0=$(date +%s)
timed() { # name, command...
  local name=$1; shift
  if [ -x "$out/$name" ]; then echo "build-node: $name cached" >&2; return; fi
  local s=$(date +%s)
  "$@"
  echo "build-node: $name built in $(( $(date +%s) - s ))s" >&2
}

build_pause() { (cd "$pause_src" && "$GO" build -trimpath -ldflags='-s -w' -o "$out/pause.tmp" . && mv "$out/pause.tmp" "$out/pause"); }
# `go install mod/cmd@version` would be the one-liner, but it first asks the proxy for the
# module's version list to look up deprecations, and that endpoint answers 403 here for
# kube-router. So: download the exact module zip, and build inside it as the main module, which
# keeps upstream's own go.mod/go.sum - the same dependency set `go install` uses.
build_in_module() { # module version package-dir output-name
  local dir
  dir=$("$GO" mod download -json "$1@$2" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -n "$dir" ] || { "$GO" mod download -json "$1@$2" >&2; return 1; }
  # (module zips carry vendor/modules.txt but not the vendored code, so never -mod=vendor)
  local mod=readonly
  (cd "$dir" && "$GO" build -mod=$mod -trimpath -ldflags='-s -w' -o "$out/$4.tmp" "$3") && mv "$out/$4.tmp" "$out/$4"
}
# kube-router v2.10.0's go.mod pins netlink at a pseudo-version this proxy refuses, so it is built
# from a small wrapper module (test/world/go/node/kube-router) that replaces netlink with v1.3.1.
build_kube_router() {
  (cd "$here/test/world/go/node/kube-router" && grep -q "kube-router/v2 $KUBE_ROUTER_VERSION" go.mod &&
    GOFLAGS=-mod=mod "$GO" build -trimpath \
      -ldflags="-s -w -X github.com/cloudnativelabs/kube-router/v2/pkg/version.Version=$KUBE_ROUTER_VERSION" \
      -o "$out/kube-router.tmp" github.com/cloudnativelabs/kube-router/v2/cmd/kube-router) &&
    mv "$out/kube-router.tmp" "$out/kube-router"
}
build_lpp() { build_in_module github.com/rancher/local-path-provisioner "$LPP_VERSION" . local-path-provisioner; }

timed pause build_pause
timed kube-router build_kube_router
timed local-path-provisioner build_lpp
echo "build-node: done in $(( $(date +%s) - t0 ))s ($out)" >&2
echo "$out"
