//go:build integration

package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

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
