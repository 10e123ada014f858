package reforward

import (
	"errors"
	"fmt"
	"testing"

	"github.com/sesbox/sesbox/mailstore"
)

// TestRepeats: a result repeats the error that stopped the run when it
// was not attempted because of it, or when its reason is the failure the
// error wraps (through fmt.Errorf's one or several %w); another failure
// of the same run does not, nor does any result of a run that did not
// stop.
func TestRepeats(t *testing.T) {
	ses := &mailstore.HintError{Hint: "sending is paused — see sesbox account", Err: errors.New("send: SendingPausedException")}
	for name, stop := range map[string]error{
		"one %w":     &mailstore.HintError{Hint: "h; then run again", Err: fmt.Errorf("%w; stopped, nothing more is sent", ses)},
		"several %w": &mailstore.HintError{Hint: "h", Err: fmt.Errorf("%w: x (%w); stopped", mailstore.ErrEverySendRefused, ses)},
	} {
		it := &Item{Key: "k2"}
		for _, c := range []struct {
			r    Result
			want bool
		}{
			{Result{Key: "k1", Status: StatusFailed, Reason: mailstore.Explain(ses)}, true},
			{notAttempted(it, stop), true},
			{Result{Key: "k3", Status: StatusFailed, Reason: "SES rejected the message: bad address"}, false},
			{Result{Key: "k4", Status: StatusSkipped, Reason: mailstore.Explain(ses)}, false},
		} {
			if got := c.r.Repeats(stop); got != c.want {
				t.Errorf("%s: %+v: Repeats %v, want %v", name, c.r, got, c.want)
			}
		}
	}
	if (Result{Status: StatusFailed, Reason: "x"}).Repeats(nil) {
		t.Error("a run that did not stop")
	}
}
