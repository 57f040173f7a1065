// Build wrapper for kube-router (firewall-only NetworkPolicy enforcer of the world's real node).
// kube-router v2.10.0 pins github.com/vishvananda/netlink at an untagged pseudo-version that the
// module proxy reachable here refuses (403 "This module version is not available"); v1.3.1 is
// the newest tagged netlink it serves, so it is substituted here.
module preflight.local/kube-router-build

go 1.26.0

require github.com/cloudnativelabs/kube-router/v2 v2.10.0

replace github.com/vishvananda/netlink => github.com/vishvananda/netlink v1.3.1
