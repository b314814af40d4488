package main

import (
	"context"
	"errors"
)

// cmdMerge is not built yet; its issue replaces this file.
func cmdMerge(ctx context.Context, e env) error {
	return errors.New("not implemented yet")
}
