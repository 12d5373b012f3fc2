package cli

import (
	"context"
	"errors"
)

// PLACEHOLDER: being written (CSV import command).
func runImport(ctx context.Context, env Env, args []string) error { return errors.New("not yet") }
