// Command corpusgen writes the labelled check corpus of processors/audit
// (testdata/corpus.jsonl): realistic tracking payloads in every input format
// (Pixel, gtag including batches, CAPI including batches, MP, sGTM), grouped
// into cases of one or more messages, each labelled with the exact set of
// (code, path) findings the whole pipeline — decode, per-event checks, join,
// pair checks — must produce for it. It is seeded and reproducible:
//
//	go run ./corpusgen -out testdata/corpus.jsonl -seed 20261125
//
// Kinds: "positive" cases plant one fault (their labels name it, plus what
// the fault necessarily causes elsewhere, e.g. an orphan's DEDUP_SERVER_ONLY);
// "hard_negative" cases hold tokens that look like faults and are not (gmail
// dots hashed the Google way on GA4, an IP in client_ip_address,
// Chrome/124.0.0.0 in a user agent, upper-case currency on Meta, a 64-hex
// order_id, "email" as a utm value); "clean" cases are full-quality pairs.
// Labels come from how a payload was built, never from the checks.
//
// Event times are placeholders the test fills in from its clock, so the
// corpus never goes stale: {{NOW_S}}, {{NOW_MS}}, {{NOW_US}}, each with an
// optional offset in seconds ({{NOW_S-691200}}).
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
)

func main() {
	out := flag.String("out", "testdata/corpus.jsonl", `output file ("-" for standard output)`)
	seed := flag.Uint64("seed", DefaultSeed, "random seed")
	flag.Parse()
	if err := run(*out, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "corpusgen:", err)
		os.Exit(1)
	}
}

func run(path string, seed uint64) error {
	var w io.Writer = os.Stdout
	if path != "-" {
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	bw := bufio.NewWriter(w)
	if err := Write(bw, Generate(seed)); err != nil {
		return err
	}
	return bw.Flush()
}
