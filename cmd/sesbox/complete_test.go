package main

import (
	"strings"
	"testing"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/demo"
	"github.com/sesbox/sesbox/mailstore/testutil/fakes3"
	"github.com/sesbox/sesbox/mailstore/testutil/httprec"
)

// completions runs cobra's completion request, as the shell scripts do,
// and returns its lines without the final directive.
func completions(t *testing.T, args ...string) []string {
	t.Helper()
	out, errOut, code := sesbox(t, append([]string{"__complete"}, args...)...)
	if code != 0 {
		t.Fatalf("__complete %q: exit %d: %s", args, code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	return lines[:len(lines)-1] // ":4", the directive
}

// TestCompletionDescriptionsHaveNoBackquotes: a flag's usage marks its
// value's name with backquotes (`FILE`), which cobra passed into the
// completion descriptions; backquotes there are command substitution to
// some shells' completion code. Every description of every command's
// flags comes without them.
func TestCompletionDescriptionsHaveNoBackquotes(t *testing.T) {
	isolate(t)
	seen := 0
	for _, cmd := range [][]string{{""}, {"forward", "--"}, {"ls", "--"}, {"show", "--"}, {"reply", "--"}, {"export", "--"},
		{"audit", "snapshot", "--"}, {"team", "init", "--"}, {"mark", "--"}, {"index", "--"}, {"save", "--"}} {
		for _, l := range completions(t, cmd...) {
			if strings.Contains(l, "`") {
				t.Errorf("%q: %q", cmd, l)
			}
			if strings.Contains(l, "FILE") {
				seen++
			}
		}
	}
	if seen == 0 {
		t.Error("no description names FILE: the check saw no flag descriptions")
	}
}

// TestCompletionOfKeys: show, mark, forward and reply complete the
// mailbox's keys and SES message ids from the local index, without a
// request to the bucket (an index made by ls first; the recorder sees
// nothing during completion). Keys a shell would take for syntax are not
// offered. Before, none of the four completed anything.
func TestCompletionOfKeys(t *testing.T) {
	isolate(t)
	srv := fakes3.Start(t, "mail")
	msgs := demo.Messages()
	for k, b := range msgs {
		srv.Put(t, "mail", k, b)
	}
	hostile := demo.Prefix + "0zz`touch x`"
	srv.Put(t, "mail", hostile, []byte("Subject: x\r\n\r\nx\r\n"))
	url, rec := httprec.Proxy(t, srv.URL)
	flags := []string{"--endpoint", url, "--bucket", "mail", "--prefix", demo.Prefix}
	if _, errOut, code := sesbox(t, append(flags, "ls")...); code != 0 {
		t.Fatalf("ls: %s", errOut)
	}
	before := len(rec.Requests())
	var id string
	for k := range msgs {
		if mailstore.SESMessageID(k) > id {
			id = mailstore.SESMessageID(k)
		}
	}
	for _, cmd := range []string{"show", "mark", "forward", "reply"} {
		got := completions(t, append(append([]string{}, flags...), cmd, id[:4])...)
		if len(got) == 0 || !strings.HasPrefix(got[0], id[:4]) || !containsPrefix(got, id) {
			t.Errorf("%s %s<TAB>: %q, want the message id %s", cmd, id[:4], got, id)
		}
		got = completions(t, append(append([]string{}, flags...), cmd, demo.Prefix+id[:4])...)
		if !containsPrefix(got, demo.Prefix+id) {
			t.Errorf("%s %s<TAB>: %q, want the key", cmd, demo.Prefix+id[:4], got)
		}
		for _, l := range completions(t, append(append([]string{}, flags...), cmd, "0z")...) {
			if strings.Contains(l, "`") {
				t.Errorf("%s: offered %q", cmd, l)
			}
		}
	}
	if n := len(rec.Requests()); n != before {
		t.Errorf("completion made %d requests to the bucket: %v", n-before, rec.Requests()[before:])
	}
	// reply takes one key: the second is not completed.
	if got := completions(t, append(append([]string{}, flags...), "reply", id, id[:4])...); len(got) != 0 {
		t.Errorf("reply's second argument completed: %q", got)
	}
}

func containsPrefix(lines []string, p string) bool {
	for _, l := range lines {
		if strings.HasPrefix(l, p) {
			return true
		}
	}
	return false
}
