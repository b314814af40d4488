package main

import (
	"context"
	"errors"
)

// cmdBuildModel is not built yet; its issue replaces this file.
func cmdBuildModel(ctx context.Context, e env) error {
	return errors.New("not implemented yet")
}
