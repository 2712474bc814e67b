package main

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// flagDoc is what the help page needs about one flag beyond flag.Flag: its
// section, in definition order, and the placeholder for its value.
type flagDoc struct {
	section string
	name    string
	meta    string // value placeholder, "" for booleans
}

// flagBuilder defines flags on a flag.FlagSet, binding each to a config field
// whose current value becomes the flag's default, and records the order and
// section of each flag for the help page.
//
// Values are parsed for syntax only (a duration is a duration); ranges and
// choices are checked by the config's Validate, so one run reports every
// problem at once.
type flagBuilder struct {
	fs      *flag.FlagSet
	section string
	docs    []flagDoc
}

func newFlagBuilder(fs *flag.FlagSet) *flagBuilder { return &flagBuilder{fs: fs} }

// Section starts a titled group of flags on the help page.
func (b *flagBuilder) Section(title string) { b.section = title }

func (b *flagBuilder) add(v flag.Value, name, meta, usage string) {
	b.fs.Var(v, name, usage)
	b.docs = append(b.docs, flagDoc{section: b.section, name: name, meta: meta})
}

// String binds a string flag; meta names its value in the help (FILE, ADDR…).
func (b *flagBuilder) String(p *string, name, meta, usage string) {
	b.add((*stringValue)(p), name, meta, usage)
}

// Bool binds a boolean flag (--name, --name=false).
func (b *flagBuilder) Bool(p *bool, name, usage string) {
	b.add((*boolValue)(p), name, "", usage)
}

// Int binds an integer flag.
func (b *flagBuilder) Int(p *int, name, meta, usage string) {
	b.add((*intValue)(p), name, meta, usage)
}

// Int64 binds a 64-bit integer flag.
func (b *flagBuilder) Int64(p *int64, name, meta, usage string) {
	b.add((*int64Value)(p), name, meta, usage)
}

// Float binds a floating-point flag.
func (b *flagBuilder) Float(p *float64, name, meta, usage string) {
	b.add((*floatValue)(p), name, meta, usage)
}

// Duration binds a Go duration flag (90s, 5m, 1h30m).
func (b *flagBuilder) Duration(p *time.Duration, name, usage string) {
	b.add((*durationValue)(p), name, "DURATION", usage)
}

// Bytes binds a size in bytes, written as a number with an optional unit
// (B, KiB, MiB, GiB; KB, MB, GB are read as their binary counterparts).
func (b *flagBuilder) Bytes(p *int, name, usage string) {
	b.add((*bytesValue)(p), name, "SIZE", usage)
}

// Bytes64 is Bytes for sizes that may exceed 2 GiB.
func (b *flagBuilder) Bytes64(p *int64, name, usage string) {
	b.add((*bytes64Value)(p), name, "SIZE", usage)
}

// List binds a comma-separated list. In the config file it may also be a
// YAML sequence.
func (b *flagBuilder) List(p *[]string, name, meta, usage string) {
	b.add((*listValue)(p), name, meta, usage)
}

// Time binds a point in time given as RFC 3339 or as a duration ago.
func (b *flagBuilder) Time(p *TimeBound, name, usage string) {
	b.add(p, name, "TIME", usage)
}

type stringValue string

func (s *stringValue) Set(v string) error { *s = stringValue(v); return nil }
func (s *stringValue) String() string     { return string(*s) }

type boolValue bool

func (b *boolValue) Set(v string) error {
	x, err := strconv.ParseBool(v)
	if err != nil {
		return fmt.Errorf("not a boolean (want true or false)")
	}
	*b = boolValue(x)
	return nil
}
func (b *boolValue) String() string   { return strconv.FormatBool(bool(*b)) }
func (b *boolValue) IsBoolFlag() bool { return true }

type intValue int

func (i *intValue) Set(v string) error {
	x, err := strconv.ParseInt(strings.TrimSpace(v), 10, strconv.IntSize)
	if err != nil {
		return numErr(err, "an integer")
	}
	*i = intValue(x)
	return nil
}
func (i *intValue) String() string { return strconv.Itoa(int(*i)) }

type int64Value int64

func (i *int64Value) Set(v string) error {
	x, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil {
		return numErr(err, "an integer")
	}
	*i = int64Value(x)
	return nil
}
func (i *int64Value) String() string { return strconv.FormatInt(int64(*i), 10) }

type floatValue float64

func (f *floatValue) Set(v string) error {
	x, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
		return errors.New("not a number")
	}
	*f = floatValue(x)
	return nil
}
func (f *floatValue) String() string { return strconv.FormatFloat(float64(*f), 'g', -1, 64) }

func numErr(err error, what string) error {
	if errors.Is(err, strconv.ErrRange) {
		return errors.New("out of range")
	}
	return fmt.Errorf("not %s", what)
}

type durationValue time.Duration

func (d *durationValue) Set(v string) error {
	x, err := time.ParseDuration(strings.TrimSpace(v))
	if err != nil {
		return fmt.Errorf("not a duration (want e.g. 90s, 5m, 1h)")
	}
	*d = durationValue(x)
	return nil
}
func (d *durationValue) String() string { return formatDuration(time.Duration(*d)) }

// formatDuration drops the zero tails of time.Duration.String: 1h, not 1h0m0s.
func formatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

type bytesValue int

var byteUnits = []struct {
	suffix string
	factor int64
}{
	// Longest suffixes first, so "MiB" is not read as "B".
	{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30},
	{"kb", 1 << 10}, {"mb", 1 << 20}, {"gb", 1 << 30},
	{"k", 1 << 10}, {"m", 1 << 20}, {"g", 1 << 30},
	{"b", 1},
}

func (b *bytesValue) Set(v string) error {
	n, err := parseBytes(v, math.MaxInt32)
	if err != nil {
		return err
	}
	*b = bytesValue(n)
	return nil
}

// parseBytes reads a size with an optional unit; |size| must not exceed max.
func parseBytes(v string, max int64) (int64, error) {
	s := strings.ToLower(strings.TrimSpace(v))
	factor := int64(1)
	for _, u := range byteUnits {
		if strings.HasSuffix(s, u.suffix) {
			s, factor = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.factor
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, errors.New("not a size (want e.g. 1048576, 512KiB, 1MiB)")
	}
	if n > max/factor || n < -max/factor {
		return 0, errors.New("out of range")
	}
	return n * factor, nil
}

func (b *bytesValue) String() string { return formatBytes(int(*b)) }

// bytes64Value is a size that may exceed 2 GiB.
type bytes64Value int64

func (b *bytes64Value) Set(v string) error {
	n, err := parseBytes(v, math.MaxInt64)
	if err != nil {
		return err
	}
	*b = bytes64Value(n)
	return nil
}

func (b *bytes64Value) String() string { return formatBytes(int(*b)) }

func formatBytes(n int) string {
	switch {
	case n != 0 && n%(1<<30) == 0:
		return strconv.Itoa(n>>30) + "GiB"
	case n != 0 && n%(1<<20) == 0:
		return strconv.Itoa(n>>20) + "MiB"
	case n != 0 && n%(1<<10) == 0:
		return strconv.Itoa(n>>10) + "KiB"
	}
	return strconv.Itoa(n) + "B"
}

type listValue []string

func (l *listValue) Set(v string) error {
	var out []string
	for _, part := range strings.Split(v, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	*l = out
	return nil
}
func (l *listValue) String() string { return strings.Join(*l, ",") }

// isList marks values that a YAML sequence may set.
func (l *listValue) isList() {}

// TimeBound is a point in time given as RFC 3339 (2026-11-01T00:00:00Z) or as
// a duration before the moment the flag is parsed (24h, 7d). The zero value
// means "not set".
type TimeBound struct {
	At  time.Time // zero when not set
	raw string
	now func() time.Time // nil: time.Now
}

// IsZero reports whether the bound was not given.
func (t *TimeBound) IsZero() bool { return t.At.IsZero() }

// Set parses an RFC 3339 time, or a duration ago (Go duration, or N followed
// by d for days).
func (t *TimeBound) Set(v string) error {
	v = strings.TrimSpace(v)
	if v == "" {
		*t = TimeBound{now: t.now}
		return nil
	}
	if at, err := time.Parse(time.RFC3339, v); err == nil {
		t.At, t.raw = at, v
		return nil
	}
	ago, err := parseAgo(v)
	if err != nil {
		return errors.New("not a time (want RFC 3339 like 2026-11-01T00:00:00Z, or a duration ago like 24h or 7d)")
	}
	now := time.Now
	if t.now != nil {
		now = t.now
	}
	t.At, t.raw = now().Add(-ago), v
	return nil
}

func parseAgo(v string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(v, "d"); ok {
		n, err := strconv.ParseInt(days, 10, 32)
		if err != nil || n < 0 {
			return 0, errors.New("bad day count")
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, err
	}
	if d < 0 {
		d = -d // "-24h" and "24h" both mean 24 hours ago
	}
	return d, nil
}

// String returns the value as given.
func (t *TimeBound) String() string {
	if t == nil {
		return ""
	}
	return t.raw
}
