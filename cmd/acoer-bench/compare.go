package main

import (
	"context"
	"errors"
)

// cmdCompare is not built yet; its issue replaces this file.
func cmdCompare(ctx context.Context, e env) error {
	return errors.New("not implemented yet")
}
