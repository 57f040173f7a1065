#!/usr/bin/env bash
# Build the real `coder` binary (github.com/coder/coder/v2, from the Go module proxy) into a cache
# outside git, keyed by version and Go version. The test world runs it as the oracle for our
# PostgreSQL verdicts (test/world/coder-server.ts, test/integration/coder-fidelity.test.ts).
#
#   scripts/build-coder.sh                 build when missing, print the binary's path as the last line
#   scripts/build-coder.sh --print-bin     print the binary's path (no build); exit 1 if missing or stale
#
# Built as the main module from the module's own source (so its go.mod `replace` lines apply — a
# `go install …@version` would ignore them), in a writable copy under the cache, with the tags and
# -X flags of its scripts/build_go.sh (AGPL ./cmd/coder, `embed` with a placeholder frontend: the
# dashboard is a TypeScript build we do not need; the server and its database code are all Go).
# Cold: ~9-15 min on 2 cores; warm Go build cache: ~20 s (copy + link); binary cached: 0.1 s (only `coder --version`).
set -euo pipefail

CODER_VERSION=v2.30.0

export PATH=/usr/local/go/bin:$PATH
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-trimpath -buildvcs=false"

CACHE=${CODER_PREFLIGHT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/coder-preflight}
GOVER=$(go env GOVERSION)
KEY="coder-${CODER_VERSION}-${GOVER}"
BIN=$CACHE/bin/$KEY/coder
SRC=$CACHE/build/coder-${CODER_VERSION}

say() { echo "build-coder: $*" >&2; }

version_ok() {
  [[ -x $BIN ]] || return 1
  local out
  out=$(HOME=${TMPDIR:-/tmp} CODER_CONFIG_DIR=/nonexistent "$BIN" --version 2>/dev/null) || return 1
  # "Coder (AGPL) v2.30.0 … Full build of Coder, supports the server subcommand."
  [[ $out == *"Coder (AGPL) ${CODER_VERSION}"* && $out == *"supports the server subcommand"* ]]
}

case "${1:-}" in
  --print-bin)
    version_ok || { say "$BIN is missing or stale; run: scripts/build-coder.sh"; exit 1; }
    echo "$BIN"
    exit 0
    ;;
  "") ;;
  *) say "unknown argument: $1"; exit 2 ;;
esac

if version_ok; then
  say "up to date: coder ${CODER_VERSION} (${GOVER})"
  echo "$BIN"
  exit 0
fi

t0=$SECONDS
mkdir -p "$CACHE/build" "$(dirname "$BIN")"
if [[ ! -f $SRC/.complete ]]; then
  say "fetching github.com/coder/coder/v2@${CODER_VERSION} source (Go module proxy)…"
  dl=$(cd "$CACHE/build" && go mod download -json "github.com/coder/coder/v2@${CODER_VERSION}")
  dir=$(sed -nE 's/^\s*"Dir": "(.*)",?$/\1/p' <<<"$dl")
  [[ -d $dir ]] || { say "go mod download gave no Dir:"; echo "$dl" >&2; exit 1; }
  rm -rf "$SRC" "$SRC.tmp"
  cp -r "$dir" "$SRC.tmp"
  chmod -R u+w "$SRC.tmp"
  # site/site_embed.go: //go:embed all:out and all:out/bin/* — the module ships out/GITKEEP and
  # out/bin/GITKEEP (with only GITKEEP in bin/, the server serves agent binaries from its cache
  # dir instead). The dashboard's index.html is a placeholder: the frontend is not built here.
  mkdir -p "$SRC.tmp/site/out/bin"
  [[ -f $SRC.tmp/site/out/bin/GITKEEP ]] || : >"$SRC.tmp/site/out/bin/GITKEEP"
  printf '<!doctype html><title>Coder</title><p>coder-preflight test build: no dashboard.</p>\n' >"$SRC.tmp/site/out/index.html"
  touch "$SRC.tmp/.complete"
  mv "$SRC.tmp" "$SRC"
fi

est="first time ~9-15 min on 2 cores (measured 8.5 min while another Go build ran)"
[[ -d $(go env GOCACHE) ]] && [[ $(du -sm "$(go env GOCACHE)" 2>/dev/null | cut -f1) -gt 3000 ]] && est="faster if the Go build cache still holds it"
say "building coder ${CODER_VERSION} into $(dirname "$BIN") ($est)…"
# scripts/build_go.sh: -X buildinfo.tag=<version without v>, -s -w, tags embed + TS_EXTRA_SMALL,
# and buildinfo.agpl=true for ./cmd/coder.
ldflags="-s -w -X github.com/coder/coder/v2/buildinfo.tag=${CODER_VERSION#v} -X github.com/coder/coder/v2/buildinfo.agpl=true"
(cd "$SRC" && go build -tags embed,ts_omit_aws,ts_omit_bird,ts_omit_tap,ts_omit_kube -ldflags "$ldflags" -o "$BIN.tmp" ./cmd/coder)
mv "$BIN.tmp" "$BIN"
version_ok || { say "$BIN does not report ${CODER_VERSION} after building"; "$BIN" --version >&2 || true; exit 1; }
rm -rf "$SRC" # 170 MB; the Go build cache keeps what a rebuild needs, and the copy takes seconds
say "built coder ${CODER_VERSION} in $((SECONDS - t0)) s ($(du -m "$BIN" | cut -f1) MB)"
echo "$BIN"
