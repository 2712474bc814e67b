package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/sstaudit/sstaudit/telemetry"
)

// config is what every command's configuration provides to the framework:
// its flags, bound to its fields (whose values are the defaults), and a
// Validate that reports every problem at once.
type config interface {
	flags(b *flagBuilder)
	Validate() error
}

// positionalTaker is implemented by configs that accept positional
// arguments; for the others any positional argument is a usage error.
type positionalTaker interface {
	setPositional(args []string)
}

// logConfigured is implemented by configs that carry --log-level and
// --log-format; the others log at info, as JSON.
type logConfigured interface {
	logConfig() telemetry.LogConfig
}

// command is one sstaudit subcommand. Bodies live in cmd_<name>.go as
// func(ctx, *Env, XConfig) error; define binds one to its config type, so a
// body can be replaced without touching the framework.
type command struct {
	name    string
	args    string // positional synopsis after [flags], e.g. "FILE... | -"
	summary string // one line for the top-level help
	about   string // paragraph(s) for the command's help

	// bind creates a fresh config with its defaults, registers its flags on b,
	// and returns it with the body to call once it is resolved and valid.
	bind func(b *flagBuilder) (config, func(context.Context, *Env) error)
}

// define ties a config type to a command body. defaults gives the config
// before any flag, environment or file is applied.
func define[C any, P interface {
	*C
	config
}](c command, defaults func() C, body func(context.Context, *Env, C) error) *command {
	c.bind = func(b *flagBuilder) (config, func(context.Context, *Env) error) {
		cfg := defaults()
		p := P(&cfg)
		p.flags(b)
		return p, func(ctx context.Context, env *Env) error { return body(ctx, env, cfg) }
	}
	return &c
}

// commands lists every subcommand in help order.
func commands() []*command {
	return []*command{runCommand(), demoCommand(), generateCommand(), reportCommand(), checkCommand(), schemasCommand(), benchCommand()}
}

func findCommand(name string) *command {
	for _, c := range commands() {
		if c.name == name {
			return c
		}
	}
	return nil
}

// knownKeys returns whether a name is a flag of any command: the keys a
// config file may hold.
func knownKeys() func(string) bool {
	names := map[string]bool{}
	for _, c := range commands() {
		fs, _, _, _ := c.flagSet()
		fs.VisitAll(func(f *flag.Flag) { names[f.Name] = true })
	}
	return func(k string) bool { return names[k] }
}

// flagSet builds the command's flag set over a fresh default config.
func (c *command) flagSet() (*flag.FlagSet, *flagBuilder, config, func(context.Context, *Env) error) {
	fs := flag.NewFlagSet("sstaudit "+c.name, flag.ContinueOnError)
	b := newFlagBuilder(fs)
	cfg, body := c.bind(b)
	if len(b.docs) > 0 {
		// The file's location is resolved like any flag (SSTAUDIT_CONFIG);
		// resolveFlags reads it before the other flags.
		var path string
		b.Section("Configuration")
		b.String(&path, configFlag, "FILE", "YAML file of flag values (same keys as the flags) and house policy (default: none)")
	}
	return fs, b, cfg, body
}

// writeHelp prints the command's help: synopsis, description, and every flag
// by section with its value placeholder, meaning and default.
func (c *command) writeHelp(w io.Writer) {
	fs, b, _, _ := c.flagSet()
	synopsis := "sstaudit " + c.name
	if len(b.docs) > 0 {
		synopsis += " [flags]"
	}
	if c.args != "" {
		synopsis += " " + c.args
	}
	fmt.Fprintf(w, "Usage: %s\n\n%s\n", synopsis, strings.TrimSpace(c.about))
	if len(b.docs) == 0 {
		fmt.Fprintln(w, "\nThis command has no flags.")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	section := "\x00"
	for _, d := range b.docs {
		if d.section != section {
			section = d.section
			title := section
			if title == "" {
				title = "Flags"
			}
			fmt.Fprintf(tw, "\n%s:\n", title)
		}
		f := fs.Lookup(d.name)
		name := "--" + d.name
		if d.meta != "" {
			name += " " + d.meta
		}
		usage := f.Usage
		if f.DefValue != "" && !strings.Contains(usage, "(default") {
			usage += fmt.Sprintf(" (default %s)", f.DefValue)
		}
		fmt.Fprintf(tw, "  %s\t%s\n", name, usage)
	}
	_ = tw.Flush()
	fmt.Fprintf(w, "\nEvery flag can also be set with %s<FLAG> (upper case, '-' as '_') or as a key\n"+
		"of the YAML file given with --config; precedence: flag > environment > file > default.\n"+
		"Durations are Go durations (90s, 5m, 1h); sizes take B, KiB, MiB; shares are in [0,1].\n", envPrefix)
}

// writeTopHelp prints the top-level help: every command and how
// configuration works.
func writeTopHelp(w io.Writer) {
	fmt.Fprint(w, `sstaudit audits server-side marketing tracking streamed through Kafka: it joins
browser and server copies of each conversion by event_id, checks deduplication,
timing, match keys, hashing, consent and PII, and emits audit records, window
metrics and a scored report.

Usage:
  sstaudit <command> [flags] [arguments]

Commands:
`)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, c := range commands() {
		fmt.Fprintf(tw, "  %s\t%s\n", c.name, c.summary)
	}
	fmt.Fprintf(tw, "  %s\t%s\n", "version", "print the version of this build")
	fmt.Fprintf(tw, "  %s\t%s\n", "help", "show this help, or a command's with 'sstaudit help <command>'")
	_ = tw.Flush()
	fmt.Fprintf(w, `
Run 'sstaudit <command> --help' for a command's flags.

Configuration:
  Every flag can also be set by the environment variable %s<FLAG>
  (upper case, '-' becomes '_', e.g. %s) or by a key of the
  same name in the YAML file given with --config FILE (or %s).
  The file may also hold a 'policy:' section with house policy.
  Precedence: flag > environment > file > default. One file can serve every
  command: each uses the keys it knows; a key that is no command's flag is an
  error.

Exit status:
  0 success, 1 runtime failure, 2 usage or configuration error.
`, envPrefix, envName("match-window"), envName(configFlag))
}
