package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strconv"
	"sync"
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
// bucket (gofakes3 behind faultproxy, which holds every request 100 ms,
// the listing held until the keys are typed) has no index: its rows come
// with the start's refresh, batch by batch. Keys typed at once, before
// any row, acted on the empty list and were lost; they wait for the first
// rows and then act in order: the filter typed after / is set, and j j
// Enter opens a message. A filter set so follows the index as it fills:
// it matched only the rows of the first batches and stayed so (1/54 with
// the index complete, where ls --query finds more), and its Enter opened
// nothing; once the index is complete it shows every match.
func TestFirstOpenKeysWaitForTheFirstRows(t *testing.T) {
	for _, tc := range []struct {
		name string
		keys string
		want string
		// all, when set: a filter whose matches, once the index is
		// complete, are ls --query's.
		all string
	}{
		{"open", "jj\r", `viewing ` + regexp.QuoteMeta(demo.Prefix), ""},
		{"filter", "/배송\r", `filter: 배송`, ""},
		{"filter follows the index", "/invoice\r", `filter: invoice`, "invoice"},
		{"filter then open", "/배송\rj\r", `viewing ` + regexp.QuoteMeta(demo.Prefix) + `nq3c59`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			isolate(t)
			srv := fakes3.Start(t, "mail")
			for k, b := range demo.Messages() {
				srv.Put(t, "mail", k, b)
			}
			want := 0
			if tc.all != "" {
				want = len(lsJSON(t, "--endpoint", srv.URL, "--bucket", "mail", "--prefix", demo.Prefix, "--query", tc.all))
				isolate(t) // the TUI's first open has no index
			}
			p := faultproxy.Start(t, srv.URL, faultproxy.Config{Hold: 100 * time.Millisecond})
			// The listing waits until the keys are typed: however loaded
			// the machine, they come before any row.
			gate := make(chan struct{})
			target, err := url.Parse(p.URL)
			if err != nil {
				t.Fatal(err)
			}
			rp := httputil.NewSingleHostReverseProxy(target)
			front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Query().Has("list-type") {
					<-gate
				}
				rp.ServeHTTP(w, r)
			}))
			t.Cleanup(front.Close)
			var opened sync.Once
			open := func() { opened.Do(func() { close(gate) }) }
			t.Cleanup(open) // before front.Close, which waits for the listing
			a, _ := tuiApp(t, globalFlags{endpoint: front.URL, bucket: "mail", prefix: demo.Prefix})
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
			open()
			re := regexp.MustCompile(tc.want)
			teatest.WaitFor(t, tm.Output(), re.Match, teatest.WithDuration(30*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
			if tc.all == "" {
				tm.Send(tea.KeyMsg{Type: tea.KeyCtrlC})
				tm.WaitFinished(t, teatest.WithFinalTimeout(15*time.Second))
				return
			}
			// Once indexing ends (the status line has room for the sort
			// then), the filter shows ls --query's count.
			indexed := regexp.MustCompile(`(\d+)/` + strconv.Itoa(len(demo.Messages())) + `\s+filter: \S+\s+sort: date \(newest first\)`)
			teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
				all := indexed.FindAllSubmatch(b, -1)
				return len(all) > 0 && string(all[len(all)-1][1]) == strconv.Itoa(want)
			}, teatest.WithDuration(60*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
			tm.Send(tea.KeyMsg{Type: tea.KeyCtrlC})
			tm.WaitFinished(t, teatest.WithFinalTimeout(15*time.Second))
		})
	}
}
