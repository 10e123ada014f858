package forward

import "github.com/sesbox/sesbox/tui/keys"

// KeyMap are the forward screen's keys: tui/keys holds them with every
// other binding, so they are rebound from the config file ("forward.send",
// ...) like the rest.
type KeyMap = keys.Forward
