package main

import (
	"context"
	"errors"
)

// cmdReport is not built yet; its issue replaces this file.
func cmdReport(ctx context.Context, e env) error {
	return errors.New("not implemented yet")
}
