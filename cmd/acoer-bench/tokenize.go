package main

import (
	"context"
	"errors"
)

// cmdTokenize is not built yet; its issue replaces this file.
func cmdTokenize(ctx context.Context, e env) error {
	return errors.New("not implemented yet")
}
