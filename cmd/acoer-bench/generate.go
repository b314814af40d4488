package main

import (
	"context"
	"errors"
)

// cmdGenerate is not built yet; its issue replaces this file.
func cmdGenerate(ctx context.Context, e env) error {
	return errors.New("not implemented yet")
}
