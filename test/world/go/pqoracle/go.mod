// The PostgreSQL driver oracle: judges one connection string with exactly the driver Coder
// v2.30.0 links (its go.mod: replace github.com/lib/pq => github.com/coder/pq, this version).
// `go 1.25.6` is Coder v2.30.0's own go line, so the GODEBUG defaults (net/url's among them)
// are the ones Coder's binary runs with, whatever newer toolchain builds this.
module local.test/coder-preflight/pqoracle

go 1.25.6

require github.com/lib/pq v1.10.9

replace github.com/lib/pq => github.com/coder/pq v1.10.5-0.20250807075151-6ad9b0a25151
