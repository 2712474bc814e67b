package main

import (
	"github.com/sstaudit/sstaudit/consumers"
	"github.com/sstaudit/sstaudit/schemas"
)

// fingerprintKeyEnv names the deployment key of finding fingerprints and
// state digests (SPEC §5). Without it findings carry no fingerprint.
const fingerprintKeyEnv = "SSTAUDIT_FINGERPRINT_KEY"

// pipelineConfig turns `run` flags into the pipeline's configuration.
func pipelineConfig(env *Env, cfg RunConfig) consumers.Config {
	pc := consumers.NewDefaultConfig()
	pc.Brokers = cfg.Brokers
	pc.Group = cfg.Group
	pc.ClientTopic, pc.ServerTopic = cfg.ClientTopic, cfg.ServerTopic
	pc.FindingsTopic, pc.MetricsTopic, pc.DLQTopic = cfg.FindingsTopic, cfg.MetricsTopic, cfg.DLQTopic
	pc.StateDir = cfg.StateDir
	pc.OutputFormat = schemas.OutputFormat(cfg.OutputFormat)
	pc.Repartition = cfg.Repartition
	pc.Join.MatchWindow = cfg.Join.MatchWindow
	pc.Join.Grace = cfg.Join.Grace
	pc.Join.Alignment = cfg.Join.Alignment
	pc.Join.MetricsWindow = cfg.Stream.MetricsWindow
	pc.Join.InstanceID = cfg.InstanceID
	pc.Join.Version = env.Version
	pc.IdleAdvance = cfg.Stream.IdleAdvance
	pc.Decode.MaxBytes = cfg.MaxMessageBytes
	pc.Logger = env.Logger
	return pc
}
