package actionlog

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// chainScript is the shell script docs/audit.md gives for checking the
// action log without sesbox, as it is printed there.
func chainScript(t *testing.T) string {
	t.Helper()
	doc, err := os.ReadFile("../../docs/audit.md")
	if err != nil {
		t.Fatal(err)
	}
	const start = "```sh\n# check-chain.sh LOG"
	_, rest, ok := strings.Cut(string(doc), start)
	if !ok {
		t.Fatalf("docs/audit.md has no block starting %q", start)
	}
	body, _, ok := strings.Cut(rest, "\n```\n")
	if !ok {
		t.Fatal("the check-chain.sh block does not end")
	}
	return "# check-chain.sh LOG" + body + "\n"
}

// TestTheDocumentedChainCheckAgreesWithVerify: docs/audit.md said
// `prev` was "the SHA-256 of the previous line's bytes" without saying
// that the newline is left out, where the chain fields sit in a line,
// or what the head file holds, so a third party could not check the log
// without sesbox's code. The docs now give the format and a POSIX shell
// script (sed, cut, sha256sum); this runs that very script on a log
// Append wrote, with keys holding quotes, backslashes, a planted
// `,"prev":"` and control characters, and on each kind of tampering
// VerifyLog names, and checks the two agree: intact passes both, every
// edit fails both, and a cut whose head was rewritten to match (the
// documented limit) passes both.
func TestTheDocumentedChainCheckAgreesWithVerify(t *testing.T) {
	script := chainScript(t)
	dir := t.TempDir()
	orig := filepath.Join(dir, "orig", "actions.jsonl")
	if err := os.MkdirAll(filepath.Dir(orig), 0o700); err != nil {
		t.Fatal(err)
	}
	l, err := OpenLog(orig)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{
		"inbox/plain",
		`inbox/a","prev":"00","seq":9}`,
		`inbox/back\slash"quote`,
		"inbox/ctl\x01\x1b[31mred\u2028\u202e",
		"inbox/<b>&c ünï",
	} {
		if err := l.Append(Action{Command: "forward", Bucket: "mail", Key: key, Result: "failed: one\ntwo", Destinations: []string{"a@example.com"}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	logBytes, err := os.ReadFile(orig)
	if err != nil {
		t.Fatal(err)
	}
	headBytes, err := os.ReadFile(HeadPath(orig))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(logBytes), "\n")
	lines = lines[:len(lines)-1]
	hash := func(line string) string {
		s := sha256.Sum256([]byte(strings.TrimSuffix(line, "\n")))
		return hex.EncodeToString(s[:])
	}

	for _, c := range []struct {
		name     string
		log      func() string
		head     func(log string) string // nil: the head as written
		tampered bool
	}{
		{name: "intact", log: func() string { return string(logBytes) }},
		{name: "edited", tampered: true, log: func() string {
			return lines[0] + strings.Replace(lines[1], "forward", "reply", 1) + strings.Join(lines[2:], "")
		}},
		{name: "removed", tampered: true, log: func() string { return lines[0] + strings.Join(lines[2:], "") }},
		{name: "reordered", tampered: true, log: func() string {
			return lines[0] + lines[2] + lines[1] + strings.Join(lines[3:], "")
		}},
		{name: "truncated", tampered: true, log: func() string { return strings.Join(lines[:len(lines)-1], "") }},
		{name: "cut short", tampered: true, log: func() string { return strings.TrimSuffix(string(logBytes), "\n") }},
		{name: "appended", tampered: true, log: func() string {
			return string(logBytes) + fmt.Sprintf(`{"command":"forward","prev":"%s","seq":%d}`+"\n", hash(lines[len(lines)-1]), len(lines)+1)
		}},
		// The documented limit: lines cut off the end with the head
		// rewritten to match read as intact, to sesbox and to the script.
		{name: "truncated, head rewritten", log: func() string { return strings.Join(lines[:len(lines)-1], "") },
			head: func(log string) string {
				return fmt.Sprintf(`{"count":%d,"last":"%s","size":%d}`, len(lines)-1, hash(lines[len(lines)-2]), len(log))
			}},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "-"))
			if err := os.MkdirAll(d, 0o700); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(d, "actions.jsonl")
			log := c.log()
			head := string(headBytes)
			if c.head != nil {
				head = c.head(log)
			}
			if err := os.WriteFile(path, []byte(log), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(HeadPath(path), []byte(head), 0o600); err != nil {
				t.Fatal(err)
			}
			_, problems, err := VerifyLog(path)
			if err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command("sh", "-c", script, "check-chain.sh", path)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			runErr := cmd.Run()
			var exit *exec.ExitError
			if runErr != nil && !errors.As(runErr, &exit) {
				t.Fatalf("the script did not run: %v\n%s", runErr, out.String())
			}
			scriptFails := runErr != nil
			if scriptFails != c.tampered || (len(problems) > 0) != c.tampered {
				t.Errorf("tampered %v: the script fails %v (%q), verify found %+v", c.tampered, scriptFails, out.String(), problems)
			}
			if !scriptFails && out.Len() > 0 {
				t.Errorf("the script passed but printed %q", out.String())
			}
		})
	}
}
