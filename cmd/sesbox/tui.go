package main

import (
	"context"
	"os"

	"github.com/sesbox/sesbox/tui"
)

// runTUI opens the terminal UI on every mailbox the flags and config name.
func (a *app) runTUI(ctx context.Context) error {
	boxes, err := a.mailboxes(ctx)
	if err != nil {
		return err
	}
	cfg, err := a.config()
	if err != nil {
		return err
	}
	return tui.Run(ctx, tui.Boxes(boxes...), tui.Options{
		Keys:    cfg.Keys,
		Mouse:   cfg.Mouse,
		NoColor: os.Getenv("NO_COLOR") != "",
	})
}
