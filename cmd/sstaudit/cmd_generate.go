package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/sstaudit/sstaudit/consumers"
	"github.com/sstaudit/sstaudit/schemas"
	"github.com/sstaudit/sstaudit/schemas/synth"
)

// runGenerate is the body of `sstaudit generate`: synthetic traffic with a
// planted fault mix, then the ground truth it planted (to --truth or
// standard output). Interrupted, it still writes the truth of what it sent.
func runGenerate(ctx context.Context, env *Env, cfg GenerateConfig) error {
	dests := make([]schemas.Destination, len(cfg.Destinations))
	for i, d := range cfg.Destinations {
		dests[i] = schemas.Destination(d)
	}
	gc := consumers.GenerateConfig{
		Brokers: cfg.Brokers, ClientTopic: cfg.ClientTopic, ServerTopic: cfg.ServerTopic,
		Partitions: cfg.Partitions, Rate: cfg.Rate, Conversions: cfg.Events, Duration: cfg.Duration,
		Synth: synth.Config{
			Seed: uint64(cfg.Seed), Destinations: dests, Batched: cfg.Repartition,
			Mix: synth.Mix{
				LostServer: cfg.Faults.LostServer, LostClient: cfg.Faults.LostClient, Skewed: cfg.Faults.Skewed,
				Renamed: cfg.Faults.Renamed, PlaintextPII: cfg.Faults.PlaintextPII, DoubleHashed: cfg.Faults.DoubleHashed,
				Duplicates: cfg.Faults.Duplicates, MissingIDs: cfg.Faults.MissingIDs, PIIInURL: cfg.Faults.PIIInURL,
				Poison: cfg.Faults.Poison, SparseUserData: cfg.Faults.SparseUserData,
			},
		},
		Logger: env.Logger,
	}
	if err := gc.Synth.Mix.Validate(); err != nil {
		return usageErrorf("generate: %v", err)
	}
	if gc.Conversions == 0 && gc.Duration == 0 {
		gc.Duration = 100 * 365 * 24 * time.Hour // until interrupted
	}
	truth, err := consumers.Generate(ctx, gc)
	interrupted := errors.Is(err, context.Canceled)
	if err != nil && !interrupted {
		return fmt.Errorf("generate: %w", err)
	}
	if truth == nil {
		return nil
	}
	w := env.Stdout
	if cfg.Truth != "" {
		f, err := os.Create(cfg.Truth)
		if err != nil {
			return fmt.Errorf("generate: truth file: %w", err)
		}
		defer f.Close()
		w = f
	}
	if err := truth.WriteJSON(w); err != nil {
		return fmt.Errorf("generate: write truth: %w", err)
	}
	if cfg.Truth != "" {
		fmt.Fprintf(env.Stdout, "generated %d conversions (%d client and %d server messages, %d poison); truth written to %s\n",
			truth.Conversions, truth.Messages["client"], truth.Messages["server"], truth.Poison, cfg.Truth)
	}
	return nil
}
