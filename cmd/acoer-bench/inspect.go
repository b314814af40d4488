package main

import (
	"context"
	"errors"
)

// cmdInspect is not built yet; its issue replaces this file.
func cmdInspect(ctx context.Context, e env) error {
	return errors.New("not implemented yet")
}
