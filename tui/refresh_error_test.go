package tui

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/sesbox/sesbox/mailstore/index"
	"github.com/sesbox/sesbox/mailstore/mailbox"
	"github.com/sesbox/sesbox/tui/internal/fixture"
)

// TestRefreshErrorNamesTheBucketOnce: a refresh that indexed all but a
// few headers says so in an error that names the bucket, and the TUI
// named it again in front ("refresh s3://b/p/: refresh s3://b/p/: 1 of 2
// headers could not be read ..."), which took a third of the error line
// at 80 columns (seen in tmux against versitygw with a key it cannot
// read). An error that does not name it is still given the name.
func TestRefreshErrorNamesTheBucketOnce(t *testing.T) {
	for _, c := range []struct {
		err  func(f *fixture.FakeMailbox) error
		want string
	}{
		{func(f *fixture.FakeMailbox) error {
			return &index.PartialError{Location: f.Location(), Failed: 1, Total: 2, First: errors.New("boom")}
		}, "1 of 2 headers"},
		{func(*fixture.FakeMailbox) error { return errors.New("list failed") }, "list failed"},
	} {
		fake := fixture.NewFake("a")
		fake.RefreshFn = func(context.Context, func(mailbox.Progress)) error { return c.err(fake) }
		h := newHarness(t, 120, 30, true, box("inbox", fake))
		v := h.view()
		name := "refresh " + fake.Location().String()
		if !strings.Contains(v, name+": "+c.want) || strings.Contains(v, name+": refresh") {
			t.Errorf("%s: the bucket is not named once before it:\n%s", c.want, v)
		}
	}
}
