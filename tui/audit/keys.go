package audit

import "github.com/sesbox/sesbox/tui/keys"

// KeyMap are the audit view's keys: tui/keys holds them with every other
// binding, so they are rebound from the config file ("audit.verify", ...)
// like the rest.
type KeyMap = keys.Audit
