package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/sstaudit/sstaudit/processors/audit"
	"github.com/sstaudit/sstaudit/processors/join"
	"github.com/sstaudit/sstaudit/schemas"
	"github.com/sstaudit/sstaudit/state"
)

// stdinName is how standard input is named in records and messages.
const stdinName = "stdin"

// closeAllHorizon is how far past the last record stream time is advanced at
// the end of input, so that every open group closes and every window is
// emitted: beyond the longest match window (48h), grace and metrics window.
const closeAllHorizon = 400 * 24 * time.Hour

// runCheck is the body of `sstaudit check`. cfg is resolved (flag > env > file >
// default) and valid; env carries the streams, logger and house policy.
//
// Each input (with --lines, each line) is one message. It is decoded, checked
// and joined by the same join.Processor `run` uses, over an in-memory Badger
// store; every message gets record time now. At the end of input stream time
// jumps far ahead, so every open group closes. Each audit record is printed as
// a JSON line on stdout; undecodable messages are reported on stderr with
// their DLQ reason, never their content.
func runCheck(ctx context.Context, env *Env, cfg CheckConfig) error {
	policy := audit.NewDefaultPolicy()
	if err := env.DecodePolicy(&policy); err != nil {
		return err
	}
	if err := policy.Validate(); err != nil {
		return &usageError{err: fmt.Errorf("check: config %s: policy: %w", env.ConfigFile, err)}
	}
	aud, err := audit.New(policy, []byte(env.Getenv(audit.FingerprintKeyEnv)))
	if err != nil {
		return fmt.Errorf("check: %w", err)
	}
	jc := join.NewDefaultConfig()
	jc.MatchWindow, jc.Grace, jc.Alignment = cfg.Join.MatchWindow, cfg.Join.Grace, cfg.Join.Alignment
	jc.InstanceID, jc.Version = "check", env.Version
	proc, err := join.New(jc, aud.Checks())
	if err != nil {
		return fmt.Errorf("check: %w", err)
	}
	codecs, err := schemas.NewCodecs(schemas.OutputJSON)
	if err != nil {
		return fmt.Errorf("check: %w", err)
	}
	store, err := state.Open("", state.WithInMemory(), state.WithLogger(env.Logger))
	if err != nil {
		return fmt.Errorf("check: %w", err)
	}
	defer store.Close()

	c := &checker{
		env: env, cfg: cfg, joiner: state.NewJoiner(store, proc), codec: codecs.AuditRecord,
		opts: aud.DecodeOptions(cfg.MaxMessageBytes), out: bufio.NewWriter(env.Stdout),
	}
	if cfg.FailOn != failOnNone {
		c.failRank = schemas.Severity(cfg.FailOn).Rank()
	}
	for _, name := range cfg.Files {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("check: %w", err)
		}
		if err := c.input(ctx, name); err != nil {
			_ = c.out.Flush()
			return err
		}
	}
	if err := c.closeAll(time.Now().Add(closeAllHorizon).UnixMilli()); err != nil {
		_ = c.out.Flush()
		return err
	}
	if err := c.out.Flush(); err != nil {
		return fmt.Errorf("check: write: %w", err)
	}
	return c.verdict()
}

// checker carries one check run.
type checker struct {
	env      *Env
	cfg      CheckConfig
	joiner   *state.Joiner
	codec    *schemas.Codec[schemas.AuditRecord]
	opts     schemas.DecodeOptions
	out      *bufio.Writer
	buf      []byte
	failRank int // severity rank that fails the run; 0 = never

	records     int
	undecodable int
	failing     int // findings at or above failRank
}

// input reads one file (or standard input) and feeds its messages.
func (c *checker) input(ctx context.Context, name string) error {
	var r io.Reader
	topic := name
	if name == "-" {
		r, topic = c.env.Stdin, stdinName
	} else {
		f, err := os.Open(name)
		if err != nil {
			return fmt.Errorf("check: %w", err)
		}
		defer f.Close()
		r = f
	}
	limit := c.opts.MaxBytes
	if limit <= 0 {
		limit = schemas.DefaultMaxBytes
	}
	if !c.cfg.Lines {
		// One more byte than the limit is enough for Decode to say too_large.
		v, err := io.ReadAll(io.LimitReader(r, int64(limit)+1))
		if err != nil {
			return fmt.Errorf("check: read %s: %w", topic, err)
		}
		return c.message(topic, 0, v)
	}
	br := bufio.NewReaderSize(r, 64<<10)
	for line := int64(1); ; line++ {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("check: %w", err)
		}
		v, err := readLine(br, limit+1)
		if len(bytes.TrimSpace(v)) > 0 {
			if merr := c.message(topic, line, v); merr != nil {
				return merr
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("check: read %s: %w", topic, err)
		}
	}
}

// readLine returns the next line without its end, keeping at most max bytes
// of it (the rest is consumed and dropped). It returns io.EOF with the last
// line when the input ends.
func readLine(br *bufio.Reader, max int) ([]byte, error) {
	var line []byte
	for {
		part, err := br.ReadSlice('\n')
		if room := max - len(line); room > 0 {
			if len(part) > room {
				line = append(line, part[:room]...)
			} else {
				line = append(line, part...)
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		line = bytes.TrimSuffix(line, []byte("\n"))
		line = bytes.TrimSuffix(line, []byte("\r"))
		return line, err
	}
}

// message decodes, checks and joins one message. topic and offset locate it
// in the output (offset is the line number with --lines, else 0).
func (c *checker) message(topic string, offset int64, v []byte) error {
	now := time.Now().UnixMilli()
	m := schemas.Message{
		Value:  v,
		Format: c.cfg.Format,
		Side:   schemas.Side(c.cfg.Side),
		Source: schemas.Source{Topic: topic, Offset: offset, RecordTime: now},
	}
	evs, err := schemas.Decode(m, c.opts)
	if err != nil {
		c.undecodable++
		where := topic
		if c.cfg.Lines {
			where = fmt.Sprintf("%s:%d", topic, offset)
		}
		tried := c.cfg.Format
		var de *schemas.DecodeError
		if errors.As(err, &de) {
			tried = de.Tried
		}
		// The reason and the formats tried are what the DLQ headers say;
		// the detail is left out, as it may describe the content.
		fmt.Fprintf(c.env.Stderr, "sstaudit check: %s: undecodable (%s, tried %s): would go to the DLQ\n",
			where, reasonOrUnknown(schemas.ReasonOf(err)), orDash(tried))
		return nil
	}
	for i := range evs {
		ev := &evs[i]
		if c.cfg.Side != "" {
			ev.Side = schemas.Side(c.cfg.Side)
		}
		if err := c.printOutputs(c.joiner.Apply(ev)); err != nil {
			return err
		}
	}
	return nil
}

// closeAll advances stream time to t and drains every due group and window.
func (c *checker) closeAll(t int64) error {
	return c.printOutputs(c.joiner.CloseAll(t))
}

// printOutputs prints the audit records of outs, committed by the joiner.
func (c *checker) printOutputs(outs []join.Output, err error) error {
	if err != nil {
		return fmt.Errorf("check: join: %w", err)
	}
	for _, o := range outs {
		if o.Audit == nil {
			continue
		}
		if err := c.print(o.Audit); err != nil {
			return err
		}
	}
	return nil
}

func (c *checker) print(r *schemas.AuditRecord) error {
	c.records++
	for i := range r.Findings {
		sev := schemas.Severity(r.Findings[i].Severity)
		if c.failRank > 0 && sev.Rank() >= c.failRank {
			c.failing++
		}
	}
	var err error
	c.buf, err = c.codec.Append(c.buf[:0], *r)
	if err != nil {
		return fmt.Errorf("check: encode audit record: %w", err)
	}
	c.buf = append(c.buf, '\n')
	if _, err := c.out.Write(c.buf); err != nil {
		return fmt.Errorf("check: write: %w", err)
	}
	return nil
}

// verdict returns the run's result under --fail-on: an error (exit 1) when a
// finding reached the severity or a message was undecodable.
func (c *checker) verdict() error {
	if c.failRank == 0 || (c.failing == 0 && c.undecodable == 0) {
		return nil
	}
	var why []string
	if c.failing > 0 {
		why = append(why, fmt.Sprintf("%d finding(s) at %s or above", c.failing, c.cfg.FailOn))
	}
	if c.undecodable > 0 {
		why = append(why, fmt.Sprintf("%d undecodable message(s)", c.undecodable))
	}
	return fmt.Errorf("check: failed (--fail-on %s): %s in %d audit record(s)", c.cfg.FailOn, strings.Join(why, ", "), c.records)
}

func reasonOrUnknown(r schemas.Reason) string {
	if r == "" {
		return "decode"
	}
	return string(r)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
