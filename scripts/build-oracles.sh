#!/usr/bin/env bash
# Build the test oracles from Go modules (through the Go module proxy), keyed by version, into a
# cache outside git. Today one: pqoracle (test/world/go/pqoracle), Coder's PostgreSQL driver —
# github.com/lib/pq replaced by github.com/coder/pq at the version coder/coder v2.30.0's go.mod pins —
# which judges a connection string exactly as `coder server` would.
#
#   scripts/build-oracles.sh                 build what is missing, print the bin path as the last line
#   scripts/build-oracles.sh --print-bin     print the bin path (no build); exit 1 if it is missing
set -euo pipefail

PQ_MODULE=github.com/coder/pq
PQ_VERSION=v1.10.5-0.20250807075151-6ad9b0a25151 # coder/coder v2.30.0 go.mod: replace github.com/lib/pq => this

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SRC=$ROOT/test/world/go/pqoracle
export PATH=/usr/local/go/bin:$PATH
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-trimpath -buildvcs=false"

CACHE=${CODER_PREFLIGHT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/coder-preflight}
GOVER=$(go env GOVERSION)
BIN=$CACHE/bin/pqoracle-${PQ_VERSION}-${GOVER}/pqoracle

say() { echo "build-oracles: $*" >&2; }

# The oracle's own source decides too: a changed main.go is rebuilt into the same versioned dir.
SRC_HASH=$(cat "$SRC/go.mod" "$SRC/go.sum" "$SRC"/*.go | sha256sum | cut -c1-16)

# The wrapper module must pin the same version as this script (one source of truth for the key).
grep -q "=> ${PQ_MODULE} ${PQ_VERSION}\$" "$SRC/go.mod" || { say "$SRC/go.mod does not replace lib/pq with ${PQ_MODULE} ${PQ_VERSION}"; exit 1; }

# Does the binary exist and answer like an oracle of this version?
bin_ok() {
  [[ -x $BIN ]] || return 1
  local out
  out=$(env -i "$BIN" --parse-only 'postgres://u@h/d' 2>/dev/null) || return 1
  [[ $out == *"\"oracle\":\"${PQ_MODULE}@${PQ_VERSION} ${GOVER}\""* ]] || return 1
  [[ $(cat "$BIN.source-hash" 2>/dev/null) == "$SRC_HASH" ]]
}

case "${1:-}" in
  --print-bin)
    bin_ok || { say "$BIN is missing or stale; run: scripts/build-oracles.sh"; exit 1; }
    echo "$BIN"
    exit 0
    ;;
  "") ;;
  *) say "unknown argument: $1"; exit 2 ;;
esac

if bin_ok; then
  say "up to date: pqoracle ${PQ_MODULE}@${PQ_VERSION} (${GOVER})"
else
  say "building pqoracle ${PQ_MODULE}@${PQ_VERSION} (${GOVER}; first time: ~10-20 s)…"
  t0=$SECONDS
  mkdir -p "$(dirname "$BIN")"
  # go.sum is committed (the hashes are the ones in coder/coder v2.30.0's go.sum), so the build
  # verifies the module against them and needs no checksum-database lookup.
  (cd "$SRC" && go build -mod=readonly -ldflags="-s -w" -o "$BIN.tmp" .)
  mv "$BIN.tmp" "$BIN"
  echo "$SRC_HASH" >"$BIN.source-hash"
  bin_ok || { say "the built $BIN does not report ${PQ_MODULE}@${PQ_VERSION}"; exit 1; }
  say "built pqoracle in $((SECONDS - t0)) s"
fi
echo "$BIN"
