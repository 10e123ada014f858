//go:build integration

package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/demo"
	"github.com/sesbox/sesbox/mailstore/mime"
	"github.com/sesbox/sesbox/mailstore/reforward"
	"github.com/sesbox/sesbox/mailstore/testutil/fakes3"
	"github.com/sesbox/sesbox/mailstore/testutil/httprec"
	"github.com/sesbox/sesbox/mailstore/testutil/peer"
	"github.com/sesbox/sesbox/tui/common"
	tuiforward "github.com/sesbox/sesbox/tui/forward"
	"github.com/sesbox/sesbox/tui/keys"
	"github.com/sesbox/sesbox/tui/theme"
)

// TestForwardPlanSharedByCLIAndTUI: `sesbox forward` and the TUI's forward
// screen prepare the same forward through reforward.Runner.Prepare (plan,
// quota, preview) against aws-ses-v2-local: the CLI's preview lines are
// the TUI plan's, both read the quota, and the TUI's run sends what it
// prepared without reading the account again.
func TestForwardPlanSharedByCLIAndTUI(t *testing.T) {
	dir := isolate(t)
	ses := peer.StartSES(t)
	sesURL, rec := httprec.Proxy(t, ses.URL)
	s3 := fakes3.Start(t, "mail")
	var keysToSend []string
	for _, k := range sortedKeys(demo.Messages()) {
		raw := demo.Messages()[k]
		s3.Put(t, "mail", k, raw)
		if s := mime.Summarize(raw); len(keysToSend) < 3 && slices.Equal(s.Recipients, []string{"support@acme-demo.example"}) && !s.Verdicts.Failed() {
			keysToSend = append(keysToSend, k)
		}
	}
	cfgPath := filepath.Join(dir, "forwarder.json")
	os.WriteFile(cfgPath, []byte(`{"forwardMapping": {"@acme-demo.example": ["desk@team.example"]}}`), 0o600)
	os.MkdirAll(filepath.Join(dir, "config", "sesbox"), 0o700)
	os.WriteFile(filepath.Join(dir, "config", "sesbox", "config.toml"), []byte(`default = "m"
[mailbox.m]
bucket = "mail"
prefix = "`+demo.Prefix+`"
endpoint = "`+s3.URL+`"
ses_endpoint = "`+sesURL+`"
forward_config = "`+cfgPath+`"
`), 0o600)
	accountReads := func() int {
		n := 0
		for _, r := range rec.Requests() {
			if r.Method == "GET" && strings.HasPrefix(r.Path, "/v2/email/account") {
				n++
			}
		}
		return n
	}

	// The CLI shows the preview and asks; without a terminal it refuses.
	_, stderr, code := sesbox(t, append([]string{"forward"}, keysToSend...)...)
	if code == 0 || !strings.Contains(stderr, "refusing to send without confirmation") {
		t.Fatalf("forward without --yes: exit %d\n%s", code, stderr)
	}
	var cliLines []string
	for _, l := range strings.Split(stderr, "\n") {
		if s, ok := strings.CutPrefix(l, "forward: "); ok && !strings.Contains(s, "refusing") {
			cliLines = append(cliLines, s)
		}
	}
	cliReads := accountReads()

	a, _ := tuiApp(t, globalFlags{})
	boxes, closeFn, err := a.tuiBoxes(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer closeFn()
	env := boxes[0].Forward
	if env == nil {
		t.Fatalf("no forward env: %v", boxes[0].ForwardErr)
	}
	c := common.Common{Styles: theme.New(theme.AsciiRenderer()), Keys: keys.DefaultKeyMap(), Now: time.Now, Loc: time.UTC}
	planned, ok := tuiforward.New(context.Background(), c, env.Forwarder, keysToSend, env.Options).Init()().(tuiforward.ForwardPlannedMsg)
	if !ok || planned.Err != nil || planned.Plan == nil || planned.PreviewErr != nil || len(planned.Preview.Header) == 0 {
		t.Fatalf("TUI plan: %+v", planned)
	}
	tuiReads := accountReads() - cliReads
	if got := planned.Plan.Preview().Lines(); !slices.Equal(got, cliLines) || len(got) == 0 {
		t.Errorf("previews differ:\n CLI %q\n TUI %q", cliLines, got)
	}
	if cliReads == 0 || tuiReads != cliReads || planned.Plan.Quota == nil {
		t.Errorf("account read %d times by the CLI, %d by the TUI; quota kept %v", cliReads, tuiReads, planned.Plan.Quota)
	}

	// The TUI runs what it prepared: every message sent, the account not
	// read again.
	before := accountReads()
	tot, err := env.Forwarder.Run(context.Background(), planned.Plan, func(reforward.Result) {}, nil)
	if err != nil || tot.Sent != len(keysToSend) {
		t.Fatalf("run: %+v %v", tot, err)
	}
	if n := accountReads() - before; n != 0 {
		t.Errorf("the run read the account %d more times", n)
	}
}

// TestForwardScreenOptionsSendThroughSES: the forward screen's i (sesbox
// forward --include-spam) plans again through the runner cmd wires for the
// mailbox, and y sends the spam message to aws-ses-v2-local, which a
// plain plan skips.
func TestForwardScreenOptionsSendThroughSES(t *testing.T) {
	dir := isolate(t)
	ses := peer.StartSES(t)
	sesURL, rec := httprec.Proxy(t, ses.URL)
	s3 := fakes3.Start(t, "mail")
	var spam string
	for _, k := range sortedKeys(demo.Messages()) {
		raw := demo.Messages()[k]
		s3.Put(t, "mail", k, raw)
		if s := mime.Summarize(raw); spam == "" && s.Verdicts.Spam == "FAIL" {
			spam = k
		}
	}
	cfgPath := filepath.Join(dir, "forwarder.json")
	os.WriteFile(cfgPath, []byte(`{"forwardMapping": {"@acme-demo.example": ["desk@team.example"]}}`), 0o600)
	os.MkdirAll(filepath.Join(dir, "config", "sesbox"), 0o700)
	os.WriteFile(filepath.Join(dir, "config", "sesbox", "config.toml"), []byte(`default = "m"
[mailbox.m]
bucket = "mail"
prefix = "`+demo.Prefix+`"
endpoint = "`+s3.URL+`"
ses_endpoint = "`+sesURL+`"
forward_config = "`+cfgPath+`"
`), 0o600)
	sends := func() int {
		n := 0
		for _, r := range rec.Requests() {
			if r.Method == "POST" && r.Path == "/v2/email/outbound-emails" {
				n++
			}
		}
		return n
	}
	a, _ := tuiApp(t, globalFlags{})
	boxes, closeFn, err := a.tuiBoxes(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer closeFn()
	env := boxes[0].Forward
	if env == nil {
		t.Fatalf("no forward env: %v", boxes[0].ForwardErr)
	}
	c := common.Common{Styles: theme.New(theme.AsciiRenderer()), Keys: keys.DefaultKeyMap(), Now: time.Now, Loc: time.UTC}
	m := tuiforward.New(context.Background(), c, env.Forwarder, []string{spam}, env.Options)
	m.SetSize(80, 24)
	pump := func(cmd tea.Cmd) {
		for i := 0; cmd != nil; i++ {
			if i > 1000 {
				t.Fatal("the screen never settles")
			}
			m, cmd = m.Update(cmd())
		}
	}
	pump(m.Init())
	if v := m.View(); !strings.Contains(v, "SKIPPED") || sends() != 0 {
		t.Fatalf("a plain plan of the spam message (%d sends):\n%s", sends(), v)
	}
	for _, k := range []string{"i", "y"} {
		var cmd tea.Cmd
		m, cmd = m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)})
		pump(cmd)
	}
	if v := m.View(); sends() != 1 || !strings.Contains(v, "1 sent") {
		t.Fatalf("i then y: %d sends to SES:\n%s", sends(), v)
	}
}

// TestForwardWithoutForwardConfigSharedByCLIAndTUI: sesbox forward --to
// sends from a mailbox without forward_config, and the TUI built no
// forward setup there, so :forward --to was refused. The TUI now has the
// runner the CLI builds, made when it first plans: the mailboxes opened
// make no request to SES, and :forward --to sends to aws-ses-v2-local the
// same bytes to the same destination as sesbox forward --to --again.
func TestForwardWithoutForwardConfigSharedByCLIAndTUI(t *testing.T) {
	dir := isolate(t)
	ses := startSES(t)
	sesURL, rec := httprec.Proxy(t, ses.URL)
	s3 := fakes3.Start(t, "mail")
	var key string
	for _, k := range sortedKeys(demo.Messages()) {
		raw := demo.Messages()[k]
		s3.Put(t, "mail", k, raw)
		if s := mime.Summarize(raw); key == "" && slices.Equal(s.Recipients, []string{"support@acme-demo.example"}) && !s.Verdicts.Failed() {
			key = k
		}
	}
	os.MkdirAll(filepath.Join(dir, "config", "sesbox"), 0o700)
	os.WriteFile(filepath.Join(dir, "config", "sesbox", "config.toml"), []byte(`default = "m"
[mailbox.m]
bucket = "mail"
prefix = "`+demo.Prefix+`"
endpoint = "`+s3.URL+`"
ses_endpoint = "`+sesURL+`"
`), 0o600)

	a, _ := tuiApp(t, globalFlags{})
	boxes, closeFn, err := a.tuiBoxes(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer closeFn()
	env := boxes[0].Forward
	if env == nil {
		t.Fatalf("no forward env: %v", boxes[0].ForwardErr)
	}
	if n := len(rec.Requests()); n != 0 {
		t.Fatalf("opening the mailbox made %d requests to SES", n)
	}
	c := common.Common{Styles: theme.New(theme.AsciiRenderer()), Keys: keys.DefaultKeyMap(), Now: time.Now, Loc: time.UTC}
	target := common.Target{Ctx: context.Background(), Name: "m", Key: key}
	if o := tuiforward.Open(c, env, nil, target); o.Page != nil || !strings.HasPrefix(mailstore.Explain(o.Err), ":forward --to ADDR") {
		t.Fatalf("f without --to: %+v", o)
	}
	target.Values = map[string][]string{"--to": {"desk@team.example"}}
	o := tuiforward.Open(c, env, nil, target)
	if o.Page == nil {
		t.Fatalf(":forward --to: %+v", o)
	}
	m := o.Page.(*tuiforward.Page).Model()
	m.SetSize(80, 24)
	pump := func(cmd tea.Cmd) {
		for i := 0; cmd != nil; i++ {
			if i > 1000 {
				t.Fatal("the screen never settles")
			}
			m, cmd = m.Update(cmd())
		}
	}
	pump(o.Cmd)
	var cmd tea.Cmd
	m, cmd = m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("y")})
	pump(cmd)
	if v := m.View(); len(ses.Calls()) != 1 || !strings.Contains(v, "1 sent") {
		t.Fatalf(":forward --to: %d sends:\n%s", len(ses.Calls()), v)
	}

	if _, stderr, code := sesbox(t, "forward", "--to", "desk@team.example", "--again", "--yes", key); code != 0 {
		t.Fatalf("sesbox forward --to: exit %d\n%s", code, stderr)
	}
	calls := ses.Calls()
	if len(calls) != 2 || !slices.Equal(calls[0].Destination.ToAddresses, []string{"desk@team.example"}) ||
		!slices.Equal(calls[1].Destination.ToAddresses, calls[0].Destination.ToAddresses) || !bytes.Equal(calls[0].Content.Raw.Data, calls[1].Content.Raw.Data) {
		t.Fatalf("the TUI and the CLI sent differently: %+v", calls)
	}
}
