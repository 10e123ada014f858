package viewer

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sesbox/sesbox/mailstore/mailbox"
	"github.com/sesbox/sesbox/mailstore/mime"
	"github.com/sesbox/sesbox/mailstore/testutil/cpubudget"
)

// openedReader is a common.Reader that gives one message.
type openedReader struct{ msg *mailbox.Message }

func (r openedReader) Open(context.Context, string) (*mailbox.Message, error) { return r.msg, nil }

// TestLinksAreFoundOffTheScreensGoroutine: the viewer listed a message's
// links in SetMessage, on the screen's goroutine, and finding them costs
// up to 0.2 µs a byte of the words holding ':' (a 40 MB message of
// "http://[::1" repeated held the screen 8 s on every open). The Cmd that
// reads the message finds them; SetMessage takes what it found: here, 4 MB
// of such words cost the Cmd what finding them costs, and SetMessage a
// tenth of that at most, with every link listed.
func TestLinksAreFoundOffTheScreensGoroutine(t *testing.T) {
	raw := []byte("From: a@b.example\r\nSubject: s\r\nContent-Type: text/plain\r\n\r\n" +
		strings.Repeat("http://[::1 ", 4<<20/12) + "https://last.example/\r\n")
	v := mime.Parse(raw)
	s := v.Summary
	s.Key = "inbox/links"
	msg := &mailbox.Message{Summary: s, Raw: raw, View: v}

	m, _ := newViewer(t, 80, 24, korean)
	var loaded MessageLoadedMsg
	inCmd := cpubudget.Used(func() { loaded = loadCmd(context.Background(), 0, openedReader{msg}, s.Key)().(MessageLoadedMsg) })
	onScreen := cpubudget.Used(func() { m.SetMessage(loaded.Message) })
	if onScreen > inCmd/10 || inCmd < 10*time.Millisecond {
		t.Errorf("SetMessage took %v of CPU, the Cmd that read the message %v: the links are found on the screen's goroutine", onScreen, inCmd)
	}
	if len(m.links) != 1 || m.links[0].URL != "https://last.example/" {
		t.Errorf("links %v, want the one URL", m.links)
	}
}
