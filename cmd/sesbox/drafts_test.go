package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDraftsListsAndDeletesAsTheTUIDoes: the kept drafts were listed and
// deleted only in the TUI (:drafts, d); `sesbox reply --draft ID` needed
// an id the shell had no way to list. `sesbox drafts` lists the mailbox's
// kept drafts newest first (--json: each field exact), and --delete ID
// (or its first characters) deletes one, as the drafts page's d does.
func TestDraftsListsAndDeletesAsTheTUIDoes(t *testing.T) {
	dir := isolate(t)
	body := writeFile(t, "body.txt", "Hello\n")
	for _, s := range []string{"WX-200 컨트롤러", "Invoice 5521"} {
		// The demo without an SES endpoint keeps the reply as a draft.
		if _, errOut, code := sesbox(t, "--demo", "reply", demoKey(t, s), "--body-file", body); len(draftFiles(t, dir)) == 0 {
			t.Fatalf("reply about %s kept no draft: exit %d %s", s, code, errOut)
		}
	}
	files := draftFiles(t, dir)
	if len(files) != 2 {
		t.Fatalf("%d drafts kept: %v", len(files), files)
	}

	out, errOut, code := sesbox(t, "--demo", "drafts", "--json")
	if code != 0 {
		t.Fatalf("drafts --json: exit %d %s", code, errOut)
	}
	var got []draftJSON
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var d draftJSON
		if err := json.Unmarshal([]byte(line), &d); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		got = append(got, d)
	}
	if len(got) != 2 || got[0].Created.Before(got[1].Created) {
		t.Fatalf("not the two drafts, newest first:\n%s", out)
	}
	if !strings.Contains(got[0].Subject, "Invoice 5521") || got[0].Key != demoKey(t, "Invoice 5521") || got[0].Mailbox != "demo" {
		t.Errorf("newest draft %+v", got[0])
	}
	for _, d := range got {
		if _, err := os.Stat(d.Path); err != nil || filepath.Base(d.Path) != d.ID+".txt" {
			t.Errorf("path %s of %s: %v", d.Path, d.ID, err)
		}
	}

	out, _, code = sesbox(t, "--demo", "drafts")
	if code != 0 || !strings.Contains(out, got[1].ID) || !strings.Contains(out, "Re: ") || strings.Index(out, got[0].ID) > strings.Index(out, got[1].ID) {
		t.Fatalf("drafts table: exit %d\n%s", code, out)
	}

	out, errOut, code = sesbox(t, "--demo", "drafts", "--delete", got[1].ID[:len(got[1].ID)-4])
	if code != 0 || !strings.Contains(out, "deleted draft "+got[1].ID) {
		t.Fatalf("delete: exit %d %s %s", code, out, errOut)
	}
	if left := draftFiles(t, dir); len(left) != 1 || !strings.Contains(left[0], got[0].ID) {
		t.Fatalf("after the delete: %v", left)
	}
	if _, errOut, code = sesbox(t, "--demo", "drafts", "--delete", "nosuch"); code != exitNotFound || !strings.Contains(errOut, `no kept draft "nosuch"`) {
		t.Fatalf("delete of no draft: exit %d %s", code, errOut)
	}
	// A draft id that names none is a KEY that names no message: 3, not
	// the 1 of a run that failed.
	if _, errOut, code = sesbox(t, "--demo", "reply", "--draft", "nosuch", "--yes"); code != exitNotFound || !strings.Contains(errOut, `no kept draft "nosuch"`) {
		t.Fatalf("reply --draft of no draft: exit %d %s", code, errOut)
	}
}
