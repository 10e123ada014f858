package compose

import "github.com/sesbox/sesbox/tui/keys"

// KeyMap are the composer's keys: tui/keys holds them with every other
// binding, so they are rebound from the config file ("compose.send", ...)
// like the rest.
type KeyMap = keys.Compose
