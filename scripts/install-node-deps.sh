#!/usr/bin/env bash
# Debian packages the real node of the test world needs (issue 4): container runtime, CNI
# plugins, the busybox that becomes the probe image, and the iptables/ipset tools kube-router
# shells out to. Idempotent: when every package is already installed it returns in well under
# a second without touching apt.
set -euo pipefail

PKGS=(
  containerd                   # 1.6.20 in bookworm: CRI v1, last line kubelet 1.35 supports
  runc                         # OCI runtime used by containerd-shim-runc-v2
  containernetworking-plugins  # bridge, host-local, loopback, portmap in /usr/lib/cni
  busybox-static               # rootfs of preflight.local/busybox:1 (httpd, wget, nc, sh)
  iptables                     # kube-router + portmap (nf_tables backend)
  nftables                     # `nft delete table` on teardown: iptables-nft leaves empty tables behind
  ipset                        # kube-router's NetworkPolicy sets
  iproute2                     # ip link/addr/netns for setup and teardown checks
  conntrack                    # flush pod flows on teardown (optional but cheap)
  openssl                      # node client certificate signed by the world's CA
)

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "node deps: all installed"
  exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
start=$(date +%s)
echo "node deps: installing ${missing[*]}"
# Refresh the index only when a package is actually missing.
$SUDO apt-get update -qq
# Debian's containerd package ships a system service; this machine has no systemd and the
# world runs its own containerd on a private socket, so policy-rc.d keeps dpkg from starting it.
export DEBIAN_FRONTEND=noninteractive
pol=/usr/sbin/policy-rc.d
created_pol=0
if [ ! -e "$pol" ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$pol" >/dev/null
  $SUDO chmod +x "$pol"
  created_pol=1
fi
trap '[ "$created_pol" = 1 ] && $SUDO rm -f "$pol"' EXIT
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "node deps: installed in $(( $(date +%s) - start ))s"
