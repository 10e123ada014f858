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

// TestADraftWithDamagedDetailsIsListedNotLost: a draft whose ID.json was
// cut short (its ID.txt, the user's words, intact) was "no kept draft"
// to `reply --draft ID` (exit 3) and a bare JSON error to `drafts`; one
// whose ID.json was never written (a crash between Save's two writes)
// was not listed at all. Both are listed, marked, with their text's To
// and Subject; `reply --draft` says where the words are and what to do
// with them, hint first, exit 1; the text is never touched, and
// `drafts --delete ID` deletes such a draft when asked.
func TestADraftWithDamagedDetailsIsListedNotLost(t *testing.T) {
	dir := isolate(t)
	body := writeFile(t, "body.txt", "My words, typed with care\n")
	if _, errOut, code := sesbox(t, "--demo", "reply", demoKey(t, "Invoice 5521"), "--body-file", body); len(draftFiles(t, dir)) != 1 {
		t.Fatalf("no draft kept: exit %d %s", code, errOut)
	}
	txt := draftFiles(t, dir)[0]
	id := strings.TrimSuffix(filepath.Base(txt), ".txt")
	words, _ := os.ReadFile(txt)
	meta := strings.TrimSuffix(txt, ".txt") + ".json"
	b, _ := os.ReadFile(meta)
	os.WriteFile(meta, b[:len(b)/2], 0o600) // cut short
	orphan := filepath.Join(filepath.Dir(txt), "20261130T090000Z-0123456789.txt")
	os.WriteFile(orphan, words, 0o600) // its details never written

	out, errOut, code := sesbox(t, "--demo", "drafts")
	hint := "sesbox: your words are kept in " + txt + ", but the draft's details beside it"
	if code != 1 || !strings.Contains(out, id) || !strings.Contains(out, "20261130T090000Z-0123456789") || strings.Count(out, "[damaged: ") != 2 ||
		!strings.Contains(out, "Invoice 5521") || !strings.HasPrefix(errOut, "sesbox: your words are kept in ") || !strings.Contains(errOut, txt) {
		t.Errorf("drafts: exit %d\n%s\nstderr:\n%s\nwant both drafts listed, marked, and:\n%s", code, out, errOut, hint)
	}
	out, _, _ = sesbox(t, "--demo", "drafts", "--json")
	var d draftJSON
	json.Unmarshal([]byte(strings.SplitN(out, "\n", 2)[0]), &d)
	if d.ID != id || d.Path != txt || d.Damaged == "" || !strings.Contains(d.Subject, "Invoice 5521") {
		t.Errorf("drafts --json: %+v", d)
	}
	for _, ask := range []string{id, id[:12]} {
		_, errOut, code = sesbox(t, "--demo", "reply", "--draft", ask, "--yes")
		if code != 1 || !strings.HasPrefix(errOut, hint) || strings.Contains(errOut, "no kept draft") {
			t.Errorf("reply --draft %s: exit %d, stderr:\n%s\nwant exit 1 and:\n%s", ask, code, errOut, hint)
		}
	}
	if now, _ := os.ReadFile(txt); string(now) != string(words) || !strings.Contains(string(now), "My words, typed with care") {
		t.Errorf("the draft's text changed:\n%s", now)
	}
	if out, errOut, code := sesbox(t, "--demo", "drafts", "--delete", id); code != 0 || !strings.Contains(out, "deleted draft "+id) {
		t.Errorf("drafts --delete of the damaged draft: exit %d %s %s", code, out, errOut)
	}
	if left := draftFiles(t, dir); len(left) != 1 || left[0] != orphan {
		t.Errorf("left: %v, want the other draft's text alone", left)
	}
}
