package main

import (
	"context"
	"errors"
)

// cmdDoctor is not built yet; its issue replaces this file.
func cmdDoctor(ctx context.Context, e env) error {
	return errors.New("not implemented yet")
}
