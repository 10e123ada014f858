package tui

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/sesbox/sesbox/mailstore/mailbox"
	"github.com/sesbox/sesbox/tui/internal/fixture"
	"github.com/sesbox/sesbox/tui/tab"
)

// TestRefreshWaitingForAnotherSesboxIsShown: while the mailbox's refresh
// waits for another sesbox that indexes it (mailbox.Refresh's lock), the
// status line says so with its pid, instead of "indexing: listed 0", and
// the list still takes keys.
func TestRefreshWaitingForAnotherSesboxIsShown(t *testing.T) {
	fake := fixture.NewFake("a")
	release := make(chan struct{})
	fake.RefreshFn = func(ctx context.Context, progress func(mailbox.Progress)) error {
		progress(mailbox.Progress{Waiting: true, WaitingFor: 4242, Started: fixture.Now})
		<-release
		return nil
	}
	defer close(release)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	m := New(ctx, fixture.Common(80, 24), []Box{box("inbox", fake)}, true, 0, nil)
	m = update(t, m, tea.WindowSizeMsg{Width: 80, Height: 24})
	p := newPump(t)
	m = p.run(m, m.Init())
	v := m.View()
	if !strings.Contains(v, "waiting for another sesbox") || !strings.Contains(v, "4242") {
		t.Fatalf("the wait is not shown:\n%s", v)
	}
	checkScreen(t, v, 80, 24)
	before, _ := m.cur().List().Choose()
	m = p.run(m, func() tea.Msg { return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("j")} })
	if now, _ := m.cur().List().Choose(); now == before {
		t.Error("j did not move the cursor while the refresh waits")
	}
}

// TestWaitingRefreshRereadsTheIndex: a second sesbox whose refresh waits
// for another's lock showed the list as it was until the lock freed,
// however many rows the other wrote meanwhile; while it waits, the page
// reads the index again (rows only, no listing) every so often
// (tab.WaitReloadDueMsg), and the rows the other committed appear. Once
// the refresh runs, the message does nothing.
func TestWaitingRefreshRereadsTheIndex(t *testing.T) {
	fake := fixture.NewFake("a")
	release := make(chan struct{})
	fake.RefreshFn = func(ctx context.Context, progress func(mailbox.Progress)) error {
		progress(mailbox.Progress{Waiting: true, WaitingFor: 4242, Started: fixture.Now})
		<-release
		progress(mailbox.Progress{Listed: 11, Done: true})
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	m := New(ctx, fixture.Common(80, 24), []Box{box("inbox", fake)}, true, 0, nil)
	m = update(t, m, tea.WindowSizeMsg{Width: 80, Height: 24})
	p := newPump(t)
	m = p.run(m, m.Init())
	s := fake.Sums[0]
	s.Key, s.Subject, s.Date = "inbox/other1", "Written by the other sesbox", s.Date.Add(time.Hour)
	fake.Add(s)
	m = p.run(m, func() tea.Msg { return tab.WaitReloadDueMsg{Box: 0} })
	if v := m.View(); !strings.Contains(v, "Written by the other sesbox") || !strings.Contains(v, "waiting for another sesbox") {
		t.Fatalf("the row the other sesbox wrote is not shown while waiting:\n%s", v)
	}
	close(release)
	m = p.run(m, nil)
	if _, cmd := updateCmd(t, m, tab.WaitReloadDueMsg{Box: 0}); cmd != nil {
		t.Error("the index is read again after the refresh ended")
	}
}
