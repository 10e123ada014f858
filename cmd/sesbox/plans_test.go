package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sesbox/sesbox/mailstore/actionlog"
	"github.com/sesbox/sesbox/mailstore/audit"
	"github.com/sesbox/sesbox/mailstore/demo"
	"github.com/sesbox/sesbox/mailstore/drafts"
	"github.com/sesbox/sesbox/mailstore/mime"
	"github.com/sesbox/sesbox/mailstore/reforward"
	"github.com/sesbox/sesbox/tui/common"
	tuicompose "github.com/sesbox/sesbox/tui/compose"
	"github.com/sesbox/sesbox/tui/keys"
	"github.com/sesbox/sesbox/tui/tab"
	"github.com/sesbox/sesbox/tui/theme"
)

// The tests in this file drive each action once from the CLI and once from
// the TUI, with the wiring cmd gives each, and compare what the two planned.

// TestExportPlanSharedByCLIAndTUI: `sesbox export --mbox` and the TUI's e
// (tab.ExportCmd with the options tuiBoxes wires) write the same manifest
// header (region, endpoint, sesbox version, bucket, versioning) but for
// the query and the start time, the same entries, and both are appended to
// the action log as exports that `audit log --verify` accepts.
func TestExportPlanSharedByCLIAndTUI(t *testing.T) {
	isolate(t)
	flags, _, msgs, _ := auditBucket(t)
	dir := t.TempDir()
	cliFile, tuiFile := filepath.Join(dir, "cli.mbox"), filepath.Join(dir, "tui.mbox")
	out, errOut, code := sesbox(t, append(flags, "export", "--mbox", cliFile)...)
	if code != 0 {
		t.Fatalf("export: exit %d\n%s\n%s", code, out, errOut)
	}

	a, _ := tuiApp(t, globalFlags{endpoint: flags[1], bucket: "mail", prefix: demo.Prefix})
	boxes, closeFn, err := a.tuiBoxes(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	b := boxes[0]
	if b.Audit == nil {
		t.Fatalf("no audit env: %v", b.AuditErr)
	}
	msg := tab.ExportCmd(context.Background(), 0, b.Audit.Bucket, b.Audit.Export, sortedKeys(msgs), tuiFile, false, "marked in the TUI")()
	closeFn()
	if done, ok := msg.(tab.MarkedExportedMsg); !ok || done.Err != nil || done.Count != int64(len(msgs)) {
		t.Fatalf("TUI export: %#v", msg)
	}

	cli, err := audit.CheckManifest(audit.ManifestPath(cliFile))
	if err != nil || !cli.OK() {
		t.Fatalf("CLI manifest %+v %v", cli, err)
	}
	tui, err := audit.CheckManifest(audit.ManifestPath(tuiFile))
	if err != nil || !tui.OK() {
		t.Fatalf("TUI manifest %+v %v", tui, err)
	}
	if cli.Header.SesboxVersion == "" || cli.Header.Region != "us-east-1" || cli.Header.Endpoint == "" {
		t.Errorf("CLI header incomplete: %+v", cli.Header)
	}
	if tui.Header.Query != "marked in the TUI" {
		t.Errorf("TUI header query %q", tui.Header.Query)
	}
	ch, th := cli.Header, tui.Header
	ch.Started, ch.Query, th.Query = th.Started, "", ""
	if ch != th {
		t.Errorf("manifest headers differ:\n CLI %+v\n TUI %+v", ch, th)
	}
	if cli.SHA256 != tui.SHA256 || cli.Entries != int64(len(msgs)) {
		t.Errorf("entries: CLI %d %s, TUI %d %s", cli.Entries, cli.SHA256, tui.Entries, tui.SHA256)
	}

	// Both exports are in the action log, which verifies.
	out, errOut, code = sesbox(t, "audit", "log", "--verify", "--json")
	if code != 0 {
		t.Fatalf("audit log --verify --json: exit %d\n%s\n%s", code, out, errOut)
	}
	var got []actionlog.Action
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var x actionlog.Action
		if err := json.Unmarshal([]byte(l), &x); err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		if x.Command != "" {
			got = append(got, x)
		}
	}
	want := []actionlog.ExportAction{
		{What: "", Kind: "mbox", Count: int64(len(msgs)), ManifestSHA256: cli.SHA256, FailedSHA256: audit.FailedDigest(nil)},
		{What: "marked in the TUI", Kind: "mbox", Count: int64(len(msgs)), ManifestSHA256: cli.SHA256, FailedSHA256: audit.FailedDigest(nil)},
	}
	if len(got) != 2 {
		t.Fatalf("%d actions logged:\n%s", len(got), out)
	}
	for i, x := range got {
		if x.Command != "export" || x.Export == nil || x.Bucket != "mail" {
			t.Fatalf("action %d: %+v %+v", i, x, x.Export)
		}
		// Started names the manifest (its header's time): set, and not
		// the same for the two.
		e := *x.Export
		if e.Started == "" || (i == 1 && e.Started == got[0].Export.Started) {
			t.Errorf("action %d: started %q", i, e.Started)
		}
		if e.HeaderSHA256 == "" || (i == 1 && e.HeaderSHA256 == got[0].Export.HeaderSHA256) {
			t.Errorf("action %d: header sha256 %q", i, e.HeaderSHA256)
		}
		if e.TrailerSHA256 == "" || (i == 1 && e.TrailerSHA256 == got[0].Export.TrailerSHA256) {
			t.Errorf("action %d: trailer sha256 %q", i, e.TrailerSHA256)
		}
		e.Started, e.HeaderSHA256, e.TrailerSHA256 = "", "", ""
		if e != want[i] {
			t.Errorf("action %d: %+v %+v", i, x, x.Export)
		}
	}
	out, _, code = sesbox(t, "audit", "log")
	if code != 0 || strings.Count(out, " export ") != 2 || !strings.Contains(out, "messages (marked in the TUI)") {
		t.Errorf("audit log:\n%s", out)
	}
}

// TestQueryKeysOneRule: `forward --query` and `export --query` choose the
// same messages by one rule (mailbox.QueryKeys): a message deleted from the
// bucket after it was indexed is marked missing by the refresh both run
// and is left out by both, instead of failing the forward.
func TestQueryKeysOneRule(t *testing.T) {
	isolate(t)
	flags, _, _, srv := auditBucket(t)
	const q = "has:attachment"
	var chosen []string
	for _, r := range lsJSON(t, append(flags, "--query", q)...) {
		chosen = append(chosen, r["key"].(string))
	}
	if len(chosen) < 2 {
		t.Fatalf("%q chooses %d messages", q, len(chosen))
	}
	gone := chosen[0]
	if _, err := srv.Client(nil).DeleteObject(context.Background(), &s3.DeleteObjectInput{Bucket: aws.String("mail"), Key: aws.String(gone)}); err != nil {
		t.Fatal(err)
	}
	want := slices.Sorted(slices.Values(slices.DeleteFunc(slices.Clone(chosen), func(k string) bool { return k == gone })))

	dir := t.TempDir()
	out, errOut, code := sesbox(t, append(flags, "forward", "--dry-run", filepath.Join(dir, "fwd"), "--to", "desk@example.com", "--query", q)...)
	if code != 0 {
		t.Fatalf("forward --query: exit %d\n%s\n%s", code, out, errOut)
	}
	var forwarded []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var r reforward.Result
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		forwarded = append(forwarded, r.Key)
	}
	md := filepath.Join(dir, "md")
	if out, errOut, code := sesbox(t, append(flags, "export", "--maildir", md, "--query", q)...); code != 0 {
		t.Fatalf("export --query: exit %d\n%s\n%s", code, out, errOut)
	}
	data, err := os.ReadFile(audit.ManifestPath(md))
	if err != nil {
		t.Fatal(err)
	}
	var exported []string
	for _, l := range strings.Split(string(data), "\n") {
		var e audit.Entry
		if json.Unmarshal([]byte(l), &e) == nil && e.Key != "" {
			exported = append(exported, e.Key)
		}
	}
	if got := slices.Sorted(slices.Values(forwarded)); !slices.Equal(got, want) {
		t.Errorf("forward --query chose %v, want %v (without %s)", got, want, gone)
	}
	if got := slices.Sorted(slices.Values(exported)); !slices.Equal(got, want) {
		t.Errorf("export --query chose %v, want %v (without %s)", got, want, gone)
	}
}

// TestReplyPlanSharedByCLIAndTUI: `sesbox reply` and the TUI's composer
// (r, R, with a From override) plan the same reply through
// drafts.PlanReply: the drafts they write have the same text (From, To, Cc,
// Subject, quote) and the same metadata (threading, original, warnings).
func TestReplyPlanSharedByCLIAndTUI(t *testing.T) {
	isolate(t)
	ses := startSES(t)
	var key string
	for _, k := range sortedKeys(demo.Messages()) {
		if v := mime.Parse(demo.Messages()[k]); len(v.Summary.Cc) > 0 && len(v.Summary.To) > 0 && v.Summary.InReplyTo != "" {
			key = k
			break
		}
	}
	if key == "" {
		t.Fatal("no demo reply with To and Cc")
	}
	empty := writeFile(t, "empty.txt", "")
	store, err := openDrafts()
	if err != nil {
		t.Fatal(err)
	}
	a, _ := tuiApp(t, globalFlags{demo: true, sesEndpoint: ses.URL})
	boxes, closeFn, err := a.tuiBoxes(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer closeFn()
	b := boxes[0]
	if b.Reply == nil {
		t.Fatalf("no reply env: %v", b.ReplyErr)
	}
	msg, err := b.Mailbox.Open(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	c := common.Common{Styles: theme.New(theme.AsciiRenderer()), Keys: keys.DefaultKeyMap(), Now: time.Now, Loc: time.UTC}

	for _, tc := range []struct {
		name string
		all  bool
		from string
	}{{"reply-all", true, ""}, {"from", false, "Desk <desk@acme-demo.example>"}} {
		t.Run(tc.name, func(t *testing.T) {
			before, _ := store.List()
			args := []string{"--demo", "--ses-endpoint", ses.URL, "reply", key, "--body-file", empty}
			if tc.all {
				args = append(args, "--all")
			}
			if tc.from != "" {
				args = append(args, "--from", tc.from)
			}
			if _, errOut, code := sesbox(t, args...); code == 0 || !strings.Contains(errOut, "--yes") {
				t.Fatalf("reply without --yes: exit %d %s", code, errOut)
			}
			after, _ := store.List()
			if len(after) != len(before)+1 {
				t.Fatalf("%d drafts, then %d", len(before), len(after))
			}
			var cli *drafts.Draft
			for _, d := range after {
				if !slices.ContainsFunc(before, func(x *drafts.Draft) bool { return x.ID == d.ID }) {
					cli = d
				}
			}

			m, err := tuicompose.New(c, *b.Reply, msg, drafts.ReplyChoice{All: tc.all, From: tc.from})
			if err != nil {
				t.Fatal(err)
			}
			created, ok := m.Init()().(tuicompose.DraftCreatedMsg)
			if !ok || created.Err != nil {
				t.Fatalf("TUI draft: %+v", created)
			}
			tui := created.Draft
			if !bytes.Equal(cli.Text, tui.Text) {
				t.Errorf("draft texts differ:\n CLI %q\n TUI %q", cli.Text, tui.Text)
			}
			cm, tm := cli.Meta, tui.Meta
			cm.Created = tm.Created
			if !reflect.DeepEqual(cm, tm) {
				t.Errorf("draft metadata differ:\n CLI %+v\n TUI %+v", cm, tm)
			}
			if tm.InReplyTo == "" || tm.Key != key || (tc.from != "" && !strings.Contains(tm.From, "desk@acme-demo.example")) {
				t.Errorf("TUI plan %+v", tm)
			}
		})
	}
}
