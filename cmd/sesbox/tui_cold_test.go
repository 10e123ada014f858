package main

import (
	"bytes"
	"context"
	"regexp"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/sesbox/sesbox/mailstore/demo"
	"github.com/sesbox/sesbox/mailstore/testutil/fakes3"
	"github.com/sesbox/sesbox/mailstore/testutil/faultproxy"
	"github.com/sesbox/sesbox/tui"
)

// TestFirstOpenKeysWaitForTheFirstRows: the TUI's first open of a real
// bucket (gofakes3 behind a proxy that holds every request 300 ms) has
// no index: its rows come with the start's refresh, batch by batch. Keys
// typed at once, before any row, acted on the empty list and were lost;
// they wait for the first rows and then act in order: the filter typed
// after / is set, and j j Enter opens a message.
func TestFirstOpenKeysWaitForTheFirstRows(t *testing.T) {
	for _, tc := range []struct {
		name string
		keys string
		want string
	}{
		{"open", "jj\r", `viewing ` + regexp.QuoteMeta(demo.Prefix)},
		{"filter", "/배송\r", `filter: 배송`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			isolate(t)
			srv := fakes3.Start(t, "mail")
			for k, b := range demo.Messages() {
				srv.Put(t, "mail", k, b)
			}
			p := faultproxy.Start(t, srv.URL, faultproxy.Config{Hold: 300 * time.Millisecond})
			a, _ := tuiApp(t, globalFlags{endpoint: p.URL, bucket: "mail", prefix: demo.Prefix})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			boxes, closeFn, err := a.tuiBoxes(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer closeFn()
			c, err := tui.Options{NoColor: true}.Common(&bytes.Buffer{})
			if err != nil {
				t.Fatal(err)
			}
			tm := teatest.NewTestModel(t, tui.New(ctx, c, boxes, true, 0, nil), teatest.WithInitialTermSize(80, 24))
			for _, r := range tc.keys {
				if r == '\r' {
					tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
					continue
				}
				tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
			}
			if got := p.Stats().Requests; got > 1 {
				t.Fatalf("the keys were typed after %d requests: the test typed them too late", got)
			}
			re := regexp.MustCompile(tc.want)
			teatest.WaitFor(t, tm.Output(), re.Match, teatest.WithDuration(30*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
			tm.Send(tea.KeyMsg{Type: tea.KeyCtrlC})
			tm.WaitFinished(t, teatest.WithFinalTimeout(15*time.Second))
		})
	}
}
