#!/usr/bin/env bash
# Debian packages the local test world needs (PgBouncer in front of PostgreSQL, openssl for its PKI,
# Chromium for the HTML report's browser test: test/e2e/html-report.test.ts drives it headless).
# Idempotent and fast when everything is installed: apt is only touched when a command is missing.
# Usage: bash scripts/install-apt-deps.sh   (as root, or with sudo available)
set -euo pipefail

# command -> Debian package providing it
declare -A need=(
  [/usr/sbin/pgbouncer]=pgbouncer
  [openssl]=openssl
  [chromium]=chromium
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
