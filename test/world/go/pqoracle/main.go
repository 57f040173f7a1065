// pqoracle judges one PostgreSQL connection string the way `coder server` v2.30.0 does, with the
// driver it links (github.com/lib/pq replaced by github.com/coder/pq, see go.mod), and prints one
// JSON line. coder-preflight's tests compare their own verdicts with it.
//
//	pqoracle [--parse-only] [--timeout 5s] [URL]    (no URL argument: all of stdin, byte for byte)
//
// What Coder does, and so what this does (coder/coder v2.30.0, cli/server.go):
//   - getAndMigratePostgresDB first runs escapePostgresURLUserInfo on the URL: when url.Parse
//     fails with "net/url: invalid userinfo" or `invalid port ".+" after host`, it splits the text
//     at the first "@", takes what follows the last ":" before it as the password, url.PathEscape's
//     it and parses on; any other url.Parse error is fatal ("parse postgres url: …"). It does this
//     to key=value DSNs as well. escapePostgresURLUserInfo below restates that logic.
//   - ConnectToPostgres (cli/server.go 2366): sql.Open(driver, url), then PingContext with a 5 s
//     timeout (pingPostgres, 2468), retried for up to 30 s; then `SHOW server_version_num;` (2423)
//     and a refusal below 130000 (2437). Here: one attempt. (lib/pq's Driver has no OpenConnector,
//     so database/sql dials outside the context: only connect_timeout bounds a silent server.)
//
// Modes:
//   - default: the dry run below, then sql.Open("postgres", …) + PingContext(timeout) + the
//     version query against the real server.
//   - --parse-only: only the dry run: the driver parses the string (pq.NewConnector's defaults,
//     ParseURL, parseOpts) and opens a connection through a fake dialer whose peer refuses TLS or
//     hangs up, so every check the driver makes before it talks to a server runs for real
//     (sslmode, connect_timeout, sslrootcert/sslcert/sslkey files, driver settings), with no
//     network at all. A string that gets that far is "config-ok".
//
// The password never appears in the output: its length only, and error texts are masked.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"database/sql"
	"database/sql/driver"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"github.com/lib/pq"
)

// Result is the one JSON line printed.
type Result struct {
	Oracle string `json:"oracle"`
	// "unchanged", "rewritten" (Coder escaped the password itself) or "error".
	Escape string `json:"escape"`
	// Where the password starts in the input and which characters Coder's escaping rewrote
	// (0-based byte offsets into the input), when it rewrote any.
	EscapedAt []int `json:"escapedAt,omitempty"`
	// "url" (pq parsed it with ParseURL) or "dsn" (key=value).
	Form   string  `json:"form"`
	Parsed *Parsed `json:"parsed,omitempty"`
	// Where the driver dials: network and address (e.g. tcp "[::1]:5432").
	Dial      *Dial  `json:"dial,omitempty"`
	Connected bool   `json:"connected"`
	Stage     string `json:"stage"`
	// The driver's error text, the password masked.
	Error string `json:"error,omitempty"`
	// SQLSTATE when the server refused.
	Code     string `json:"code,omitempty"`
	Category string `json:"category"`
	// After a connection: SHOW server_version_num, and whether Coder accepts it (>= 130000).
	ServerVersionNum int   `json:"serverVersionNum,omitempty"`
	VersionOK        *bool `json:"versionOk,omitempty"`
	TLS              *bool `json:"tls,omitempty"`
}

type Parsed struct {
	Host           string            `json:"host"`
	Port           string            `json:"port"`
	User           string            `json:"user"`
	DBName         string            `json:"dbname"`
	SSLMode        string            `json:"sslmode"`
	PasswordLength *int              `json:"passwordLength"`
	Params         map[string]string `json:"params"`
	// The keys the driver sends in the startup packet as run-time parameters.
	RuntimeParams []string `json:"runtimeParams"`
}

type Dial struct {
	Network string `json:"network"`
	Address string `json:"address"`
}

var reInvalidPortAfterHost = regexp.MustCompile(`invalid port ".+" after host`)

// escapePostgresURLUserInfo restates coder/coder v2.30.0 cli/server.go lines 2813-2855 (the regexp
// at 2813, the function from 2818; called by getAndMigratePostgresDB at 2867)
// (func escapePostgresURLUserInfo): on the two url.Parse errors an unencoded password causes,
// PathEscape the text between the last ":" before the first "@" and that "@". It also returns
// the byte offsets of the characters it rewrote (for the report; Coder does not compute them).
func escapePostgresURLUserInfo(v string) (string, []int, error) {
	_, err := url.Parse(v)
	if err == nil {
		return v, nil, nil
	}
	if !strings.Contains(err.Error(), "net/url: invalid userinfo") && !reInvalidPortAfterHost.MatchString(err.Error()) {
		return "", nil, fmt.Errorf("parse postgres url: %w", err)
	}
	before, after, found := strings.Cut(v, "@")
	if !found {
		return "", nil, fmt.Errorf("invalid postgres url with userinfo: %s", v)
	}
	colon := strings.LastIndex(before, ":")
	password := before[colon+1:] // colon == -1: the whole text before "@", as strings.Split's last item
	var at []int
	for i := 0; i < len(password); i++ {
		if url.PathEscape(password[i:i+1]) != password[i:i+1] {
			at = append(at, colon+1+i)
		}
	}
	return before[:colon+1] + url.PathEscape(password) + "@" + after, at, nil
}

// connectorOpts reads the options map pq.NewConnector built (an unexported field: the driver's
// own view, not a re-parse).
func connectorOpts(c *pq.Connector) map[string]string {
	f := reflect.ValueOf(c).Elem().FieldByName("opts")
	m := reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem()
	out := map[string]string{}
	for _, k := range m.MapKeys() {
		out[k.String()] = m.MapIndex(k).String()
	}
	return out
}

// isDriverSetting: the keys lib/pq keeps for itself; every other key goes to the server in the
// startup packet (conn.go, isDriverSetting / startup).
func isDriverSetting(k string) bool {
	switch k {
	case "host", "port", "password", "sslmode", "sslcert", "sslkey", "sslrootcert", "sslinline", "sslsni",
		"fallback_application_name", "connect_timeout", "disable_prepared_binary_result", "binary_parameters", "krbsrvname", "krbspn":
		return true
	}
	return false
}

func parsedOf(o map[string]string) *Parsed {
	p := &Parsed{Host: o["host"], Port: o["port"], User: o["user"], DBName: o["dbname"], SSLMode: o["sslmode"], Params: map[string]string{}}
	if pw, ok := o["password"]; ok {
		n := len(pw)
		p.PasswordLength = &n
	}
	for k, v := range o {
		switch k {
		case "host", "port", "user", "dbname", "sslmode", "password":
		default:
			p.Params[k] = v
		}
		if !isDriverSetting(k) {
			name := k
			if k == "dbname" {
				name = "database"
			}
			p.RuntimeParams = append(p.RuntimeParams, name)
		}
	}
	sort.Strings(p.RuntimeParams)
	return p
}

// fakeDialer records where the driver dials and hands it a pipe whose peer answers an SSLRequest
// with 'N' (TLS not offered) and hangs up on anything else.
type fakeDialer struct{ dial *Dial }

var errFakePeer = errors.New("oracle: fake peer")

func (d *fakeDialer) Dial(network, address string) (net.Conn, error) {
	d.dial = &Dial{Network: network, Address: address}
	// What net.Dial refuses before it resolves anything: an address that does not split into host
	// and port, or a port that is no port (a name is looked up in /etc/services, as Dial does).
	if network == "tcp" {
		_, port, err := net.SplitHostPort(address)
		if err != nil {
			return nil, &net.OpError{Op: "dial", Net: network, Err: err}
		}
		if _, err := net.LookupPort(network, port); err != nil {
			return nil, &net.OpError{Op: "dial", Net: network, Err: err}
		}
	}
	client, server := net.Pipe()
	go func() {
		defer server.Close()
		buf := make([]byte, 8)
		if _, err := io.ReadFull(server, buf); err != nil {
			return
		}
		if binary.BigEndian.Uint32(buf[0:4]) == 8 && binary.BigEndian.Uint32(buf[4:8]) == 80877103 {
			_, _ = server.Write([]byte{'N'})
		}
	}()
	return client, nil
}

func (d *fakeDialer) DialTimeout(network, address string, _ time.Duration) (net.Conn, error) {
	return d.Dial(network, address)
}

// dryRun: the driver's parse and every pre-network check, through the fake dialer.
func dryRun(dsn string) (opts map[string]string, dial *Dial, err error) {
	c, err := pq.NewConnector(dsn)
	if err != nil {
		return nil, nil, err
	}
	opts = connectorOpts(c)
	d := &fakeDialer{}
	conn, err := pq.DialOpen(d, dsn)
	if err == nil {
		_ = conn.Close()
		return opts, d.dial, nil // cannot happen: the fake peer never completes a startup
	}
	if d.dial == nil {
		return opts, nil, err // refused before dialling (driver settings, pgpass…)
	}
	// Got to the wire: the fake peer's refusal means every check before it passed.
	if errors.Is(err, pq.ErrSSLNotSupported) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.ErrClosedPipe) {
		return opts, d.dial, nil
	}
	return opts, d.dial, err
}

// passwordCandidates: the substrings of the input that may be the password, to mask in error
// texts (url.Parse and parseOpts errors quote the input).
func passwordCandidates(raw string, opts map[string]string) []string {
	var out []string
	if pw := opts["password"]; pw != "" {
		out = append(out, pw, url.PathEscape(pw), url.QueryEscape(pw))
	}
	if i := strings.Index(raw, "://"); i >= 0 {
		rest := raw[i+3:]
		if at := strings.LastIndex(rest, "@"); at >= 0 {
			userinfo := rest[:at]
			if c := strings.Index(userinfo, ":"); c >= 0 {
				out = append(out, userinfo[c+1:])
			}
			out = append(out, userinfo)
		}
		if at := strings.Index(rest, "@"); at >= 0 {
			if c := strings.LastIndex(rest[:at], ":"); c >= 0 {
				out = append(out, rest[c+1:at])
			}
		}
	}
	for _, m := range regexp.MustCompile(`password\s*=\s*('(?:[^'\\]|\\.)*'|\S+)`).FindAllStringSubmatch(raw, -1) {
		out = append(out, m[1], strings.Trim(m[1], "'"))
	}
	return out
}

// Go and lib/pq quote pieces of the input in these errors (a '%' and what follows it, a port, a key):
// they may be characters of the password.
var quotedInput = regexp.MustCompile(`(invalid URL escape |invalid port |invalid character |missing "=" after )"(?:[^"\\]|\\.)*"`)

func mask(text, raw string, cands []string) string {
	text = quotedInput.ReplaceAllString(text, `$1"…"`)
	whole := []string{strconv.Quote(raw), raw, strconv.Quote(strings.TrimSpace(raw))}
	for _, w := range whole {
		if len(w) > 2 {
			text = strings.ReplaceAll(text, w, "<the URL>")
		}
	}
	sort.Slice(cands, func(i, j int) bool { return len(cands[i]) > len(cands[j]) })
	for _, c := range cands {
		if len(c) >= 3 {
			text = strings.ReplaceAll(text, c, "***")
			if q := strconv.Quote(c); len(q) > 2 {
				text = strings.ReplaceAll(text, q[1:len(q)-1], "***")
			}
		}
	}
	return text
}

// category: the cause of a refusal, from the error's type and the server's SQLSTATE.
func category(err error, o map[string]string, tlsOffered func() bool) (string, string) {
	var pqe *pq.Error
	if errors.As(err, &pqe) {
		code := string(pqe.Code)
		msg := pqe.Message
		switch {
		case code == "28P01":
			return "auth-failed", code
		case code == "28000" && strings.Contains(msg, "does not exist"):
			return "role-missing", code
		case code == "28000" && (strings.Contains(msg, "no encryption") || strings.Contains(msg, "SSL off")):
			if o["sslmode"] == "disable" && tlsOffered() {
				return "tls-required-by-server", code
			}
			return "no-hba", code
		case code == "28000" && strings.Contains(msg, "pg_hba.conf"):
			return "no-hba", code
		case code == "28000" && (strings.Contains(msg, "certificate") || strings.Contains(msg, "cert ")):
			return "client-cert", code
		case code == "28000":
			return "auth-failed", code
		case code == "3D000":
			return "db-missing", code
		case code == "53300":
			return "too-many-connections", code
		case code == "42704" || code == "22023" || code == "42501" || code == "55P02":
			return "parameter-rejected", code
		case code == "57P03":
			return "server-starting", code
		}
		return "server-error", code
	}
	if errors.Is(err, pq.ErrSSLNotSupported) {
		return "tls-not-offered", ""
	}
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalid x509.CertificateInvalidError
	switch {
	case errors.As(err, &unknownCA):
		return "cert-unknown-ca", ""
	case errors.As(err, &hostErr):
		return "cert-wrong-host", ""
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		return "cert-expired", ""
	case errors.As(err, &invalid):
		return "cert-invalid", ""
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		if dnsErr.IsTimeout {
			return "timeout", ""
		}
		return "dns", ""
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return "refused", ""
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return "timeout", ""
	}
	if errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return "connection-closed", ""
	}
	var addrErr *net.AddrError
	if errors.As(err, &addrErr) {
		return "bad-address", ""
	}
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		return "url-parse", ""
	}
	var recordErr tls.RecordHeaderError
	var alert tls.AlertError
	if errors.As(err, &recordErr) || errors.As(err, &alert) || strings.Contains(err.Error(), "tls: ") {
		return "tls-handshake", ""
	}
	// A file named in the string that cannot be read: which one.
	var pathErr *fs.PathError
	if errors.As(err, &pathErr) {
		for _, k := range []string{"sslrootcert", "sslcert", "sslkey"} {
			if o[k] != "" && o[k] == pathErr.Path {
				return k + "-unreadable", ""
			}
		}
		return "file-unreadable", ""
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "unsupported sslmode"):
		return "sslmode-unsupported", ""
	case strings.Contains(msg, "parse postgres url") || strings.Contains(msg, "invalid postgres url") ||
		strings.Contains(msg, "net/url:") || strings.Contains(msg, "invalid connection protocol") ||
		strings.Contains(msg, `missing "=" after`) || strings.Contains(msg, "unterminated quoted string") ||
		strings.Contains(msg, "missing character after backslash"):
		return "url-parse", ""
	case strings.Contains(msg, "sslrootcert") || strings.Contains(msg, "pem"):
		return "sslrootcert-invalid", ""
	case strings.Contains(msg, "Private key") || strings.Contains(msg, "private key"):
		return "sslkey-invalid", ""
	case strings.Contains(msg, "connect_timeout") || strings.Contains(msg, "client_encoding") ||
		strings.Contains(msg, "datestyle") || strings.Contains(msg, "unrecognized value"):
		return "param-invalid", ""
	}
	return "other", ""
}

// tlsOffered asks the server (one SSLRequest, no authentication) whether it offers TLS.
func tlsOffered(d *Dial) bool {
	if d == nil {
		return false
	}
	c, err := net.DialTimeout(d.Network, d.Address, 2*time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	req := make([]byte, 8)
	binary.BigEndian.PutUint32(req[0:4], 8)
	binary.BigEndian.PutUint32(req[4:8], 80877103)
	if _, err := c.Write(req); err != nil {
		return false
	}
	b := make([]byte, 1)
	if _, err := io.ReadFull(c, b); err != nil {
		return false
	}
	return b[0] == 'S'
}

func main() {
	parseOnly := flag.Bool("parse-only", false, "parse and run the driver's pre-network checks only; no connection")
	timeout := flag.Duration("timeout", 5*time.Second, "ping timeout (Coder: 5 s per try)")
	flag.Parse()

	var raw string
	if flag.NArg() > 0 {
		raw = flag.Arg(0)
	} else {
		b, err := io.ReadAll(os.Stdin)
		if err != nil {
			fmt.Fprintln(os.Stderr, "pqoracle: reading stdin:", err)
			os.Exit(2)
		}
		raw = string(b)
	}

	res := Result{Oracle: "github.com/coder/pq@v1.10.5-0.20250807075151-6ad9b0a25151 " + runtime.Version(), Category: "ok"}
	emit := func() {
		out, _ := json.Marshal(res)
		fmt.Println(string(out))
		os.Exit(0)
	}
	var opts map[string]string
	fail := func(stage string, err error) {
		res.Stage = stage
		res.Error = mask(err.Error(), raw, passwordCandidates(raw, opts))
		res.Category, res.Code = category(err, opts, func() bool { return tlsOffered(res.Dial) })
		emit()
	}

	escaped, at, err := escapePostgresURLUserInfo(raw)
	if err != nil {
		res.Escape = "error"
		res.Form = "url"
		if !strings.HasPrefix(raw, "postgres://") && !strings.HasPrefix(raw, "postgresql://") {
			res.Form = "dsn"
		}
		fail("escape", fmt.Errorf("escaping postgres URL: %w", err))
	}
	res.Escape = "unchanged"
	if escaped != raw {
		res.Escape = "rewritten"
		res.EscapedAt = at
	}
	res.Form = "dsn"
	if strings.HasPrefix(escaped, "postgres://") || strings.HasPrefix(escaped, "postgresql://") {
		res.Form = "url"
	}

	// Every driver check that needs no server, through the fake dialer.
	o, dial, err := dryRun(escaped)
	opts = o
	if o != nil {
		res.Parsed = parsedOf(o)
	}
	res.Dial = dial
	if err != nil {
		fail("open", err)
	}
	if *parseOnly {
		res.Stage = "config"
		res.Category = "config-ok"
		emit()
	}

	// The real thing, as ConnectToPostgres does it (one try).
	type outcome struct {
		err  error
		num  int
		tls  bool
		kind string
	}
	done := make(chan outcome, 1)
	go func() {
		db, err := sql.Open("postgres", escaped)
		if err != nil {
			done <- outcome{err: err, kind: "open"}
			return
		}
		defer db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), *timeout)
		defer cancel()
		if err := db.PingContext(ctx); err != nil {
			done <- outcome{err: err, kind: "ping"}
			return
		}
		rows, err := db.QueryContext(ctx, "SHOW server_version_num;")
		if err != nil {
			done <- outcome{err: err, kind: "version"}
			return
		}
		defer rows.Close()
		var num int
		if !rows.Next() {
			done <- outcome{err: fmt.Errorf("no rows returned for version select: %v", rows.Err()), kind: "version"}
			return
		}
		if err := rows.Scan(&num); err != nil {
			done <- outcome{err: err, kind: "version"}
			return
		}
		rows.Close()
		var ssl sql.NullBool
		_ = db.QueryRowContext(ctx, "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").Scan(&ssl)
		done <- outcome{num: num, tls: ssl.Valid && ssl.Bool}
	}()
	var r outcome
	select {
	case r = <-done:
	case <-time.After(*timeout + time.Second):
		// database/sql runs a driver without DriverContext (lib/pq) outside the context: a server
		// that accepts and never answers holds Ping past its deadline, as it would hold Coder.
		r = outcome{err: fmt.Errorf("oracle: the driver did not return within %s: %w", *timeout+time.Second, context.DeadlineExceeded), kind: "ping"}
	}
	if r.err != nil {
		if errors.Is(r.err, driver.ErrBadConn) {
			r.err = fmt.Errorf("driver: bad connection")
		}
		fail(r.kind, r.err)
	}
	res.Connected = true
	res.Stage = "connected"
	res.ServerVersionNum = r.num
	ok := r.num >= 130000
	res.VersionOK = &ok
	res.TLS = &r.tls
	if !ok {
		res.Category = "version-too-old"
	}
	emit()
}
