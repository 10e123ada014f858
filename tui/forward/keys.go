package forward

import "github.com/charmbracelet/bubbles/key"

// KeyMap are the forward screen's keys.
type KeyMap struct {
	Send       key.Binding // confirm: send
	Cancel     key.Binding // confirm: leave without sending
	Stop       key.Binding // running: stop after the send in progress
	Up, Down   key.Binding // results
	Top        key.Binding
	Bottom     key.Binding
	MarkFailed key.Binding // results: mark the failed messages in the list
	Close      key.Binding // results: leave
}

// DefaultKeyMap returns the default keys. Sending takes an explicit "y":
// Enter, pressed out of habit, must not send mail.
func DefaultKeyMap() KeyMap {
	b := func(help string, keys ...string) key.Binding {
		label := keys[0]
		if len(keys) > 1 {
			label += "/" + keys[1]
		}
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(label, help))
	}
	return KeyMap{
		Send:       b("send", "y"),
		Cancel:     b("cancel", "n", "esc", "q"),
		Stop:       b("stop after this send", "x"),
		Up:         b("up", "k", "up"),
		Down:       b("down", "j", "down"),
		Top:        b("first", "g", "home"),
		Bottom:     b("last", "G", "end"),
		MarkFailed: b("mark failed in list", "m"),
		Close:      b("close", "q", "esc"),
	}
}
