package main

import (
	"context"
	"errors"
)

// cmdGate is not built yet; its issue replaces this file.
func cmdGate(ctx context.Context, e env) error {
	return errors.New("not implemented yet")
}
