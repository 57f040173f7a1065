// The wildcard access URL oracle: judges hostname patterns, one JSON string per line on stdin,
// with Coder's own appurl.CompileHostnamePattern (v2.30.0, the check Coder runs on
// CODER_WILDCARD_ACCESS_URL before it starts) and prints {pattern, ok, error} per line.
// Built from the Go module cache (GOPROXY=off) by test/world/appurl-oracle.ts.
package main

import (
	"bufio"
	"encoding/json"
	"os"

	"github.com/coder/coder/v2/coderd/workspaceapps/appurl"
)

func main() {
	sc := bufio.NewScanner(os.Stdin)
	enc := json.NewEncoder(os.Stdout)
	for sc.Scan() {
		var p string
		_ = json.Unmarshal(sc.Bytes(), &p)
		_, err := appurl.CompileHostnamePattern(p)
		msg := ""
		if err != nil {
			msg = err.Error()
		}
		_ = enc.Encode(map[string]any{"pattern": p, "ok": err == nil, "error": msg})
	}
}
