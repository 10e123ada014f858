package compose

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/actionlog"
	"github.com/sesbox/sesbox/tui/common"
)

// TestDraftsIDOfASentDraftSaysWhenItWent: `:drafts ID` of a draft SES
// already took said only `no kept draft "ID"`, while `sesbox reply
// --draft ID` says when it was sent, under which SES message id and to
// whom (drafts.NotKeptHere, one function for both); an id no reply was
// sent from says how to list the kept drafts.
func TestDraftsIDOfASentDraftSaysWhenItWent(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	path, err := actionlog.DefaultLogPath()
	if err != nil {
		t.Fatal(err)
	}
	l, err := actionlog.OpenLog(path)
	if err != nil {
		t.Fatal(err)
	}
	const id = "20261207-1200-abcdef"
	if err := l.Append(actionlog.Action{Time: time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC), Command: "reply", Result: "sent",
		Draft: id, SESMessageID: "0100019a-sent-1", Destinations: []string{"ap@tidewater.example"}}); err != nil {
		t.Fatal(err)
	}
	l.Close()
	env := testEnv(t, &fakeSender{}, "")
	open := func(want string) error {
		t.Helper()
		msg, ok := findDraftCmd(common.Common{}, 0, env, want)().(common.OpeningReadyMsg)
		if !ok {
			t.Fatalf(":drafts %s: not an opening", want)
		}
		o := msg.Open(common.Target{Box: 0, Name: "demo"})
		if o.Page != nil || o.Err == nil {
			t.Fatalf(":drafts %s opened %v (err %v)", want, o.Page, o.Err)
		}
		return o.Err
	}
	for _, want := range []string{id, id[:len(id)-3]} {
		err := open(want)
		if !strings.HasPrefix(mailstore.Hint(err), "nothing to send: draft "+id+" was sent 2026-12-07 12:00:00 UTC (SES message id 0100019a-sent-1) to ap@tidewater.example") ||
			!errors.Is(err, mailstore.ErrNotFound) {
			t.Errorf(":drafts %s after it was sent: hint %q, error %v", want, mailstore.Hint(err), err)
		}
	}
	if err := open("nosuch"); !strings.HasPrefix(mailstore.Hint(err), "sesbox drafts lists the kept drafts") {
		t.Errorf(":drafts nosuch: %v", err)
	}
}
