// Package lambdafwd runs the real SES forwarder Lambda
// (aws-lambda-ses-forwarder 6.0.0, from npm, under Node) on a batch of
// messages, for differential tests of mailstore/forward. The Lambda's
// handler is called with its own overrides: stub S3 and SES clients (only
// CopyObject, GetObject and SendEmail, the calls it makes) hand it the
// stored bytes and capture the SendEmail input. `make peers` installs the
// package into .peers/.
//
// RunLogs runs the same handler once per invocation of a scenario (stubs
// that succeed, reject, deny or never answer) and returns the CloudWatch
// Logs events the Lambda service would store for them, for the tests of
// mailstore/fwdlog.
//
// Without node or the package a test fails under CI=true (a differential
// test that did not run is not a passing one) and is skipped elsewhere with
// the command that installs them.
package lambdafwd

import (
	"bufio"
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
)

// Version is the Lambda release the comparison is made against.
const Version = "6.0.0"

const pkgName = "aws-lambda-ses-forwarder"

//go:embed driver.js
var driver []byte

// Case is one invocation: the stored message, the Lambda's config object
// (as JSON, passed to the handler as it is: nil means the Lambda's built-in
// default) and the receipt recipients of the SES event.
type Case struct {
	ID         int             `json:"id"`
	Raw        []byte          `json:"raw"`
	Config     json.RawMessage `json:"config"`
	Recipients []string        `json:"recipients"`
}

// Result is what the Lambda did: Sent with the SendEmail destinations and
// raw data, or not sent (Err set when the handler failed, empty when it
// found no destination and finished).
type Result struct {
	ID           int      `json:"id"`
	Sent         bool     `json:"sent"`
	Destinations []string `json:"destinations"`
	Data         []byte   `json:"data"`
	Err          string   `json:"error"`
}

// Run runs every case through the Lambda in one Node process and returns the
// results in case order.
func Run(t testing.TB, cases []Case) []Result {
	t.Helper()
	cases = slices.Clone(cases)
	for i := range cases {
		if cases[i].Config == nil {
			cases[i].Config = json.RawMessage("null")
		}
	}
	sc, stderr := runDriver(t, "driver.js", driver, cases)
	results := make([]Result, 0, len(cases))
	for sc.Scan() {
		var r Result
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("node driver output: %v: %.200s", err, sc.Bytes())
		}
		if r.ID != cases[len(results)].ID {
			t.Fatalf("node driver answered case %d, want %d", r.ID, cases[len(results)].ID)
		}
		results = append(results, r)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(results) != len(cases) {
		t.Fatalf("node driver answered %d of %d cases\n%s", len(results), len(cases), stderr.Bytes())
	}
	return results
}

// find returns the node binary and the Lambda package directory, or ends
// the test: Fatal under CI, Skip elsewhere.
func find(t testing.TB) (node, pkg string) {
	t.Helper()
	missing := func(format string, args ...any) {
		t.Helper()
		msg := fmt.Sprintf(format, args...) + ": run `make peers` (needs Node 20 and npm)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("node is not on PATH")
	}
	var dirs []string
	if p := os.Getenv("SESBOX_NPM_BIN"); p != "" {
		dirs = append(dirs, filepath.Join(filepath.Dir(p), pkgName))
	}
	if p, err := findUp(filepath.Join(".peers", "node_modules", pkgName)); err == nil {
		dirs = append(dirs, p)
	}
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "index.js")); err == nil {
			return node, d
		}
	}
	missing("%s@%s is not installed in .peers", pkgName, Version)
	return "", ""
}

// findUp looks for rel in the working directory and each of its parents.
func findUp(rel string) (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, rel)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", os.ErrNotExist
		}
		dir = parent
	}
}

// runDriver runs the Node driver src (named name) on the real Lambda
// package with cases as JSON lines on its stdin, checks the version line
// it prints first, and returns a scanner over the rest of its output and
// what it wrote to stderr.
func runDriver[C any](t testing.TB, name string, src []byte, cases []C) (*bufio.Scanner, *bytes.Buffer) {
	t.Helper()
	node, pkg := find(t)
	script := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(script, src, 0o600); err != nil {
		t.Fatal(err)
	}
	var in bytes.Buffer
	enc := json.NewEncoder(&in)
	for _, c := range cases {
		if err := enc.Encode(c); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(node, script, pkg)
	cmd.Stdin = &in
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("run %s under node: %v\n%s", pkgName, err, stderr.Bytes())
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<30)
	if !sc.Scan() {
		t.Fatalf("node %s printed nothing\n%s", name, stderr.Bytes())
	}
	var hello struct{ Version string }
	if err := json.Unmarshal(sc.Bytes(), &hello); err != nil || hello.Version != Version {
		t.Fatalf("%s: want version %s, got %q (%v)", pkg, Version, hello.Version, err)
	}
	return sc, &stderr
}
