#!/usr/bin/env bash
# Debian packages the local test world needs (PgBouncer in front of PostgreSQL, openssl for its PKI,
# Chromium for the HTML report's browser test: test/e2e/html-report.test.ts drives it headless; nginx as the
# proxy in front of a WebSocket echo backend for access-url.upgrade: test/world/ws-proxy.ts).
# Idempotent and fast when everything is installed: apt is only touched when a command is missing.
# Usage: bash scripts/install-apt-deps.sh   (as root, or with sudo available)
set -euo pipefail

# command -> Debian package providing it
declare -A need=(
  [/usr/sbin/pgbouncer]=pgbouncer
  [openssl]=openssl
  [chromium]=chromium
  [/usr/sbin/nginx]=nginx
)

missing=()
for cmd in "${!need[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${need[$cmd]}")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=''
[ "$(id -u)" -eq 0 ] || sudo='sudo'
echo "install-apt-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# The package's own systemd/init service is not used (the world runs pgbouncer itself, as an
# unprivileged user, on a free loopback port); policy-rc.d in containers keeps it from starting.
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
# Debian's nginx package may start its own service (port 80) where init scripts run: the world runs
# nginx itself, on free loopback ports.
if printf '%s\n' "${missing[@]}" | grep -qx nginx && pgrep -x nginx >/dev/null 2>&1; then
  $sudo /usr/sbin/nginx -s stop 2>/dev/null || true
fi
