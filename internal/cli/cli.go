// Package cli is the campaign binary's command line and the one place where
// the application is wired together: it reads the configuration, opens the
// database and hands each part the parts it needs.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// Exit statuses.
const (
	exitOK      = 0
	exitFailed  = 1
	exitUsage   = 2
	programName = "campaign"
)

// Env is what a command may touch of the outside world.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Lookup reads an environment variable (os.LookupEnv in production).
	Lookup func(string) (string, bool)
}

type command struct {
	summary string
	run     func(ctx context.Context, env Env, args []string) error
}

func commands() map[string]command {
	return map[string]command{
		"serve":       {"run the web server (the site, the API and the organizer console)", runServe},
		"admin":       {"create, list or disable organizer accounts", runAdmin},
		"export":      {"write a petition's signatures as CSV", runExport},
		"import":      {"load a CSV file of paper signatures into a petition", runImport},
		"letters":     {"write a petition's letters to officials (PDF, HTML or ZIP)", runLetters},
		"migrate":     {"apply database migrations and exit", runMigrate},
		"backup":      {"write a consistent copy of the database while the server runs", runBackup},
		"restore":     {"put a backup in place of the database (server stopped)", runRestore},
		"copy":        {"copy the whole database into an empty one (SQLite to PostgreSQL), verified", runCopy},
		"keys":        {"rotate the secret key, or show the data keys of personal data", runKeys},
		"shred":       {"destroy the keys of personal data (one petition or all), for good", runShred},
		"healthcheck": {"check that the local server answers (for container health checks)", runHealthcheck},
		"help":        {"show help for a command", nil},
	}
}

// usageError marks a mistake in how the command was called (exit 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// Run runs the command line args and returns the process exit status.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return RunEnv(ctx, args, Env{Stdin: stdin, Stdout: stdout, Stderr: stderr, Lookup: os.LookupEnv})
}

// RunEnv is Run with an explicit environment, for tests.
func RunEnv(ctx context.Context, args []string, env Env) int {
	if len(args) == 0 {
		printUsage(env.Stderr)
		return exitUsage
	}
	name, rest := args[0], args[1:]
	if name == "help" || name == "-h" || name == "--help" || name == "-help" {
		if len(rest) > 0 {
			if _, ok := commands()[rest[0]]; ok && rest[0] != "help" {
				return RunEnv(ctx, []string{rest[0], "-h"}, env)
			}
			fmt.Fprintf(env.Stderr, "%s: unknown command %q\n\n", programName, rest[0])
			printUsage(env.Stderr)
			return exitUsage
		}
		printUsage(env.Stdout)
		return exitOK
	}
	cmd, ok := commands()[name]
	if !ok {
		fmt.Fprintf(env.Stderr, "%s: unknown command %q\n\n", programName, name)
		printUsage(env.Stderr)
		return exitUsage
	}
	err := cmd.run(ctx, env, rest)
	var ue usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(env.Stderr, "%s %s: %v\n", programName, name, err)
		return exitUsage
	default:
		fmt.Fprintf(env.Stderr, "%s %s: %v\n", programName, name, err)
		return exitFailed
	}
}

func printUsage(w io.Writer) {
	fmt.Fprintf(w, "Usage: %s COMMAND [flags]\n\nCommands:\n", programName)
	cmds := commands()
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-12s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintf(w, "\nRun '%s help COMMAND' or '%s COMMAND -h' for a command's flags and settings.\n", programName, programName)
	fmt.Fprintf(w, "Exit status: 0 ok, 1 failed, 2 bad usage.\n")
}

// newFlagSet returns a flag set that reports errors instead of exiting and
// prints its usage with the given description.
func newFlagSet(env Env, name, synopsis, description string, extra func(io.Writer)) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		w := env.Stderr
		fmt.Fprintf(w, "Usage: %s %s %s\n\n%s\n", programName, name, synopsis, strings.TrimSpace(description))
		hasFlags := false
		fs.VisitAll(func(*flag.Flag) { hasFlags = true })
		if hasFlags {
			fmt.Fprintf(w, "\nFlags:\n")
			fs.PrintDefaults()
		}
		if extra != nil {
			fmt.Fprintln(w)
			extra(w)
		}
	}
	return fs
}

// parseFlags parses args, turning flag errors into usage errors.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	return nil
}
