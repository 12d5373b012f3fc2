package cli

import (
	"context"
	"errors"
)

// PLACEHOLDER: being written (CSV export command).
func runExport(ctx context.Context, env Env, args []string) error { return errors.New("not yet") }
