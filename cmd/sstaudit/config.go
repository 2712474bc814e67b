package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// envPrefix starts the environment variable of every flag: --match-window is
// SSTAUDIT_MATCH_WINDOW.
const envPrefix = "SSTAUDIT_"

// configFlag names the flag (and SSTAUDIT_CONFIG) that points at the YAML file.
const configFlag = "config"

// policyKey is the config-file section reserved for house policy (SPEC §5).
// The framework keeps it raw; the commands that need it decode it.
const policyKey = "policy"

// envName gives the environment variable that sets flag name.
func envName(flagName string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// Env is what every command body gets besides its own config: where to read
// and write, the logger, the environment, and the raw house-policy section of
// the config file. Nothing in it is global.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Getenv reads the process environment (SSTAUDIT_FINGERPRINT_KEY, OTEL_*).
	Getenv func(string) string
	// Logger writes to Stderr at the command's --log-level and --log-format.
	Logger *slog.Logger
	// Version is the build's version, as `sstaudit version` prints it.
	Version string
	// ConfigFile is the path of the --config file, "" when none.
	ConfigFile string
	// Policy is the `policy:` mapping of the config file, nil when absent.
	// Decode it with DecodePolicy.
	Policy *yaml.Node
}

// DecodePolicy decodes the config file's policy section into v, strictly:
// a key v has no field for is an error. With no policy section it leaves v
// untouched, so v keeps its defaults. Errors are configuration errors (exit
// status 2) and name the file and line.
func (e *Env) DecodePolicy(v any) error {
	if e.Policy == nil {
		return nil
	}
	// yaml.Node.Decode has no strict mode; a strict Decoder over the
	// re-encoded node does, and keeps line numbers relative to the section.
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	if err := enc.Encode(e.Policy); err != nil {
		return usageErrorf("config %s: policy: %v", e.ConfigFile, err)
	}
	dec := yaml.NewDecoder(&buf)
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil && !errors.Is(err, io.EOF) {
		return usageErrorf("config %s: policy (from line %d): %s", e.ConfigFile, e.Policy.Line,
			strings.TrimPrefix(err.Error(), "yaml: "))
	}
	return nil
}

// configFile is a parsed --config file: its flag values by key, and the
// policy section.
type configFile struct {
	path   string
	values map[string]*yaml.Node
	policy *yaml.Node
}

// loadConfigFile reads and checks a config file. known tells whether a key is
// a flag of some command: keys of other commands are allowed (one file serves
// every command) and ignored by the ones that lack them; any other key is an
// error naming it.
func loadConfigFile(path string, known func(string) bool) (*configFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, usageErrorf("config: %v", err)
	}
	cf := &configFile{path: path, values: map[string]*yaml.Node{}}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, usageErrorf("config %s: %s", path, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return cf, nil // empty file
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return cf, nil
	}
	if root.Kind != yaml.MappingNode {
		return nil, usageErrorf("config %s:%d: want a mapping of flag names to values", path, root.Line)
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		key := k.Value
		if _, dup := cf.values[key]; dup || (key == policyKey && cf.policy != nil) {
			return nil, usageErrorf("config %s:%d: key %q given twice", path, k.Line, key)
		}
		switch {
		case key == policyKey:
			if v.Kind != yaml.MappingNode && v.Tag != "!!null" {
				return nil, usageErrorf("config %s:%d: policy must be a mapping", path, v.Line)
			}
			if v.Kind == yaml.MappingNode {
				cf.policy = v
			}
		case key == configFlag:
			return nil, usageErrorf("config %s:%d: key %q: a config file cannot name another config file", path, k.Line, key)
		case known(key):
			cf.values[key] = v
		default:
			hint := ""
			if alt := strings.ReplaceAll(key, "_", "-"); alt != key && known(alt) {
				hint = fmt.Sprintf(" (did you mean %q?)", alt)
			}
			return nil, usageErrorf("config %s:%d: unknown key %q%s", path, k.Line, key, hint)
		}
	}
	return cf, nil
}

// listFlag is implemented by flag values that a YAML sequence may set.
type listFlag interface{ isList() }

// scalar turns a YAML value into the string a flag.Value parses. ok is false
// for null, which counts as absent.
func (cf *configFile) scalar(key string, f *flag.Flag) (s string, ok bool, err error) {
	v, found := cf.values[key]
	if !found {
		return "", false, nil
	}
	switch v.Kind {
	case yaml.ScalarNode:
		if v.Tag == "!!null" {
			return "", false, nil
		}
		return v.Value, true, nil
	case yaml.SequenceNode:
		if _, isList := f.Value.(listFlag); !isList {
			return "", false, usageErrorf("config %s:%d: %s: want a single value, got a list", cf.path, v.Line, key)
		}
		parts := make([]string, 0, len(v.Content))
		for _, item := range v.Content {
			if item.Kind != yaml.ScalarNode {
				return "", false, usageErrorf("config %s:%d: %s: list items must be plain values", cf.path, item.Line, key)
			}
			parts = append(parts, item.Value)
		}
		return strings.Join(parts, ","), true, nil
	default:
		return "", false, usageErrorf("config %s:%d: %s: want a value, got a mapping", cf.path, v.Line, key)
	}
}

// parsed is the outcome of resolving one command's flags.
type parsed struct {
	positional []string
	file       *configFile // nil without --config
	// source says where each flag's final value came from: "flag", the
	// environment variable's name, "config" or "default".
	source map[string]string
}

// resolveFlags parses args into fs and fills every flag not given on the
// command line from its environment variable, else from the config file,
// leaving the default otherwise: flag > SSTAUDIT_<FLAG> > --config > default.
//
// If fs defines --config, the file comes from that flag or SSTAUDIT_CONFIG.
// known reports whether a config-file key is a flag of any command.
// Flags and positional arguments may be interleaved; "--" ends the flags.
// Errors are usage errors; flag.ErrHelp is returned as is.
func resolveFlags(fs *flag.FlagSet, args []string, getenv func(string) string, known func(string) bool) (*parsed, error) {
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	p := &parsed{source: map[string]string{}}
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, &usageError{err: errors.New(flagErrorText(err))}
		}
		rest := fs.Args()
		consumed := args[:len(args)-len(rest)]
		if len(rest) == 0 {
			break
		}
		if len(consumed) > 0 && consumed[len(consumed)-1] == "--" {
			p.positional = append(p.positional, rest...)
			break
		}
		p.positional = append(p.positional, rest[0])
		args = rest[1:]
	}
	fs.Visit(func(f *flag.Flag) { p.source[f.Name] = "flag" })

	// The config file's own location follows the same precedence first.
	if cfgFlag := fs.Lookup(configFlag); cfgFlag != nil {
		if err := applyEnv(fs, cfgFlag, getenv, p); err != nil {
			return nil, err
		}
		if path := cfgFlag.Value.String(); path != "" {
			cf, err := loadConfigFile(path, known)
			if err != nil {
				return nil, err
			}
			p.file = cf
		}
	}

	var names []string
	fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
	sort.Strings(names)
	for _, name := range names {
		f := fs.Lookup(name)
		if name == configFlag {
			continue
		}
		if err := applyEnv(fs, f, getenv, p); err != nil {
			return nil, err
		}
		if _, done := p.source[name]; done || p.file == nil {
			continue
		}
		s, ok, err := p.file.scalar(name, f)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		if err := f.Value.Set(s); err != nil {
			return nil, usageErrorf("config %s:%d: %s: invalid value %q: %v", p.file.path, p.file.values[name].Line, name, s, err)
		}
		p.source[name] = "config"
	}
	for _, name := range names {
		if _, ok := p.source[name]; !ok {
			p.source[name] = "default"
		}
	}
	return p, nil
}

// applyEnv sets f from its environment variable unless it was given on the
// command line. An empty variable counts as unset.
func applyEnv(fs *flag.FlagSet, f *flag.Flag, getenv func(string) string, p *parsed) error {
	if _, done := p.source[f.Name]; done {
		return nil
	}
	key := envName(f.Name)
	v := getenv(key)
	if v == "" {
		return nil
	}
	if err := f.Value.Set(v); err != nil {
		return usageErrorf("%s: invalid value %q for --%s: %v", key, v, f.Name, err)
	}
	p.source[f.Name] = key
	return nil
}

// flagErrorText rewrites the flag package's messages to the double-dash
// spelling the help page uses.
func flagErrorText(err error) string {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		return "unknown flag --" + strings.TrimLeft(name, "-")
	}
	if name, ok := strings.CutPrefix(msg, "flag needs an argument: -"); ok {
		return "flag --" + strings.TrimLeft(name, "-") + " needs a value"
	}
	if rest, ok := strings.CutPrefix(msg, "invalid value "); ok {
		// invalid value "x" for flag -name: reason
		return "invalid value " + strings.Replace(rest, " for flag -", " for --", 1)
	}
	if rest, ok := strings.CutPrefix(msg, "invalid boolean value "); ok {
		return "invalid value " + strings.Replace(rest, " for -", " for --", 1)
	}
	return msg
}
