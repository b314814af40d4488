package main

import (
	"context"
	"errors"
)

// cmdDatasets is not built yet; its issue replaces this file.
func cmdDatasets(ctx context.Context, e env) error {
	return errors.New("not implemented yet")
}
