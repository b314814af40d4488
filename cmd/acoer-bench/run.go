package main

import (
	"context"
	"errors"
)

// cmdRun is not built yet; its issue replaces this file.
func cmdRun(ctx context.Context, e env) error {
	return errors.New("not implemented yet")
}
