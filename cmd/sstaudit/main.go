package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/sstaudit/sstaudit/telemetry"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "sstaudit:", err)
		os.Exit(exitCode(err))
	}
}

// run dispatches args to a command. Standard input is read only by commands
// that take "-" (check).
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return runIO(ctx, args, getenv, os.Stdin, stdout, stderr)
}

// runIO is run with every stream injected, for tests.
func runIO(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageErrorf("no command given (run 'sstaudit --help' for usage)")
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		if name == "help" && len(rest) > 0 {
			c := findCommand(rest[0])
			if c == nil {
				return usageErrorf("help: unknown command %q (run 'sstaudit --help' for the list)", rest[0])
			}
			c.writeHelp(stdout)
			return nil
		}
		writeTopHelp(stdout)
		return nil
	case "version", "-version", "--version":
		if len(rest) > 0 {
			return usageErrorf("version: takes no arguments")
		}
		fmt.Fprintln(stdout, "sstaudit", buildVersion())
		return nil
	}
	c := findCommand(name)
	if c == nil {
		if strings.HasPrefix(name, "-") {
			return usageErrorf("flag %s before the command (run 'sstaudit --help' for usage)", name)
		}
		return usageErrorf("unknown command %q (run 'sstaudit --help' for the list)", name)
	}
	return c.execute(ctx, rest, getenv, stdin, stdout, stderr)
}

// execute resolves the command's configuration (flag > env > file >
// default), validates it, builds the logger and calls the body.
func (c *command) execute(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs, _, cfg, body := c.flagSet()
	p, err := resolveFlags(fs, args, getenv, knownKeys())
	if errors.Is(err, flag.ErrHelp) {
		c.writeHelp(stdout)
		return nil
	}
	if err != nil {
		return prefixUsage(c.name, err)
	}
	if pt, ok := cfg.(positionalTaker); ok {
		pt.setPositional(p.positional)
	} else if len(p.positional) > 0 {
		return usageErrorf("%s: unexpected argument %q (run 'sstaudit %s --help')", c.name, p.positional[0], c.name)
	}
	if err := cfg.Validate(); err != nil {
		return &usageError{err: fmt.Errorf("%s: invalid configuration: %w", c.name, err)}
	}
	logCfg := telemetry.LogConfig{}
	if lc, ok := cfg.(logConfigured); ok {
		logCfg = lc.logConfig()
	}
	logger, err := telemetry.NewLogger(stderr, logCfg)
	if err != nil { // Validate checked the level and format; this is a bug if reached.
		return fmt.Errorf("%s: %w", c.name, err)
	}
	env := &Env{
		Stdin:   stdin,
		Stdout:  stdout,
		Stderr:  stderr,
		Getenv:  getenv,
		Logger:  logger.With("command", c.name),
		Version: buildVersion(),
	}
	if p.file != nil {
		env.ConfigFile, env.Policy = p.file.path, p.file.policy
	}
	return body(ctx, env)
}

// usageError marks errors caused by how sstaudit was invoked or configured:
// unknown command or flag, a bad value, a bad config file, an invalid
// combination. They exit with status 2; everything else exits with 1.
type usageError struct{ err error }

// Error renders the cause on one line: joined problems are separated by "; ".
func (e *usageError) Error() string {
	return strings.ReplaceAll(strings.TrimSpace(e.err.Error()), "\n", "; ")
}

func (e *usageError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error {
	return &usageError{err: fmt.Errorf(format, args...)}
}

// prefixUsage puts the command name in front of a usage error's message.
func prefixUsage(name string, err error) error {
	var u *usageError
	if errors.As(err, &u) {
		return &usageError{err: fmt.Errorf("%s: %w", name, u.err)}
	}
	return fmt.Errorf("%s: %w", name, err)
}

// exitCode maps run's error to the process exit status: 0 for nil, 2 for
// usage and configuration errors, 1 for the rest.
func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var u *usageError
	if errors.As(err, &u) {
		return 2
	}
	return 1
}

// version is set at link time: -ldflags "-X main.version=v1.2.3". Without it
// the module version and VCS revision recorded by the Go toolchain are used.
var version = ""

func buildVersion() string {
	if version != "" {
		return version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)"
	}
	v := info.Main.Version
	if v == "" {
		v = "(devel)"
	}
	var rev, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = "+dirty"
			}
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev != "" {
		v += " " + rev + modified
	}
	return v + " " + info.GoVersion
}
