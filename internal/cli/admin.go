package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"github.com/cambodia-sanctions/campaign/internal/auth"
	"github.com/cambodia-sanctions/campaign/internal/store"
)

const adminHelp = `
Manage organizer accounts for the console (/admin). There is no
self-registration: accounts exist only when created here (or by an owner
in the console).

  campaign admin create --email E --role owner|organizer|viewer [--password-stdin]
  campaign admin list
  campaign admin disable --email E

Roles: owner (everything, including signers' emails and accounts),
organizer (petitions, letters, moderation, exports without emails),
viewer (figures only). Passwords need at least 12 characters; without
--password-stdin the password is asked for twice at the terminal.`

func runAdmin(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(env.Stderr, "Usage: campaign admin create|list|disable [flags]"+adminHelp)
		if len(args) == 0 {
			return usageError{"missing subcommand: create, list or disable"}
		}
		return nil
	}
	sub, rest := args[0], args[1:]
	fs := newFlagSet(env, "admin "+sub, "[flags]", adminHelp, nil)
	email := fs.String("email", "", "the organizer's email address")
	role := fs.String("role", "", "owner, organizer or viewer (create)")
	fromStdin := fs.Bool("password-stdin", false, "read the password from standard input (create)")
	if err := parseFlags(fs, rest); err != nil {
		return err
	}
	switch sub {
	case "create", "disable":
		if *email == "" {
			return usageError{"--email is required"}
		}
	case "list":
	default:
		return usageError{fmt.Sprintf("unknown admin subcommand %q: use create, list or disable", sub)}
	}
	if sub == "create" && *role == "" {
		return usageError{"--role is required: owner, organizer or viewer"}
	}
	_, _, v, db, err := openData(ctx, env)
	if err != nil {
		return err
	}
	defer db.Close()
	svc, err := auth.NewService(db, v, time.Now)
	if err != nil {
		return err
	}
	switch sub {
	case "create":
		password, err := readPassword(env, *fromStdin)
		if err != nil {
			return err
		}
		o, err := svc.CreateAccount(ctx, *email, *role, password, "cli")
		if err != nil {
			return usageError{strings.TrimPrefix(err.Error(), "auth: ")}
		}
		fmt.Fprintf(env.Stdout, "created %s account %s\n", o.Role, o.Email)
	case "list":
		return listAccounts(ctx, env.Stdout, db)
	case "disable":
		o, err := db.FindOrganizerByEmail(ctx, auth.NormalizeEmail(*email))
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("no account for %s", *email)
		}
		if err != nil {
			return err
		}
		if err := db.DisableOrganizer(ctx, o.ID); err != nil {
			return err
		}
		_ = db.AddAudit(ctx, &store.AuditEntry{Actor: "cli", Action: "account.disable", Target: o.Email, RowCount: 1})
		fmt.Fprintf(env.Stdout, "disabled %s; its sessions have ended\n", o.Email)
	}
	return nil
}

func listAccounts(ctx context.Context, w io.Writer, db *store.DB) error {
	accounts, err := db.FindOrganizers(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "EMAIL\tROLE\tSTATUS\tCREATED")
	for _, o := range accounts {
		status := "active"
		if o.DisabledAt != nil {
			status = "disabled " + o.DisabledAt.UTC().Format(time.DateOnly)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", o.Email, o.Role, status, o.CreatedAt.UTC().Format(time.DateOnly))
	}
	return tw.Flush()
}

// readPassword takes the password from stdin (one line) or asks twice at
// the terminal without echo.
func readPassword(env Env, fromStdin bool) (string, error) {
	if fromStdin {
		line, err := bufio.NewReader(env.Stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", err
		}
		return strings.TrimRight(line, "\r\n"), nil
	}
	f, ok := env.Stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return "", usageError{"no terminal to ask for the password: use --password-stdin"}
	}
	fmt.Fprint(env.Stderr, "Password: ")
	p1, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(env.Stderr)
	if err != nil {
		return "", err
	}
	fmt.Fprint(env.Stderr, "Repeat password: ")
	p2, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(env.Stderr)
	if err != nil {
		return "", err
	}
	if string(p1) != string(p2) {
		return "", usageError{"the two passwords differ"}
	}
	return string(p1), nil
}
