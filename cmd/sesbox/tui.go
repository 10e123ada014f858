package main

import (
	"context"
	"errors"
)

func (a *app) runTUI(ctx context.Context) error {
	return errors.New("the terminal UI is not wired yet")
}
