package tui

import (
	"fmt"
	"slices"
	"strings"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/sanitize"
	"github.com/sesbox/sesbox/tui/cmdline"
	"github.com/sesbox/sesbox/tui/tab"
	"github.com/sesbox/sesbox/tui/viewer"
)

// openCommandLine opens the `:` line with the mailbox names to complete.
func (m Model) openCommandLine() (Model, tea.Cmd) {
	m.cmd = cmdline.New(m.c, m.c.Width, m.cmdHist)
	m.cmd.SetValues("mailbox", m.boxNames())
	return m, m.cmd.Focus()
}

func (m Model) boxNames() []string {
	var names []string
	for _, t := range m.tabs {
		names = append(names, t.Name)
	}
	return names
}

// runCommand runs a `:` line with the same calls as the CLI verb it names:
// the list's verbs in its tab, the others here.
func (m Model) runCommand(args []string) (tea.Model, tea.Cmd) {
	l, err := cmdline.Parse(args)
	if err != nil {
		m.pushErr(err)
		return m, nil
	}
	spec, flags, arg := l.Spec, l.Flags, l.Arg
	t := m.cur()
	keys := t.List().Marked()
	if k, ok := m.target(); len(keys) == 0 && ok {
		keys = []string{k}
	}
	if s, ok := tab.ScreenFor(spec.Verb); ok {
		return m.apply(s.Open(m.c, t.Box, m.targetOf(l)))
	}
	switch spec.Verb {
	case "quit":
		return m.quit()
	case "notices":
		return m.openNotes(), nil
	case "mailbox":
		if i := slices.Index(m.boxNames(), arg); i >= 0 {
			m.active = i
			m.st.Clear()
			return m, nil
		}
		m.pushErr(&mailstore.HintError{Hint: "choose a mailbox the config file defines: " + strings.Join(m.boxNames(), ", ") + " (Tab completes :mailbox NAME)",
			Err: fmt.Errorf("mailbox %q is not defined", sanitize.Line(arg))})
		return m, nil
	}
	if spec.Verb == "filter" || spec.Verb == "search" {
		m.st.Leave(viewer.Kind) // the list is where they show
	}
	cmd, _, err := t.Command(spec.Verb, arg, flags, keys)
	if err != nil {
		m.pushErr(err)
	}
	return m, cmd
}
