package main

import (
	"github.com/sstaudit/sstaudit/consumers"
	"github.com/sstaudit/sstaudit/processors/audit"
	"github.com/sstaudit/sstaudit/schemas"
)

// pipelineConfig turns `run` flags into the pipeline's configuration.
func pipelineConfig(env *Env, cfg RunConfig, a *audit.Auditor) consumers.Config {
	pc := consumers.NewDefaultConfig()
	pc.Brokers = cfg.Brokers
	pc.Group = cfg.Group
	pc.ClientTopic, pc.ServerTopic = cfg.ClientTopic, cfg.ServerTopic
	pc.FindingsTopic, pc.MetricsTopic, pc.DLQTopic = cfg.FindingsTopic, cfg.MetricsTopic, cfg.DLQTopic
	pc.StateDir = cfg.StateDir
	pc.MinFreeDisk = cfg.MinFreeDisk
	pc.OutputFormat = schemas.OutputFormat(cfg.OutputFormat)
	pc.Repartition = cfg.Repartition
	pc.Join.MatchWindow = cfg.Join.MatchWindow
	pc.Join.Grace = cfg.Join.Grace
	pc.Join.Alignment = cfg.Join.Alignment
	pc.Join.MetricsWindow = cfg.Stream.MetricsWindow
	pc.Join.InstanceID = cfg.InstanceID
	pc.Join.Version = env.Version
	pc.IdleAdvance = cfg.Stream.IdleAdvance
	pc.SessionTimeout = cfg.SessionTimeout
	pc.Decode = a.DecodeOptions(cfg.MaxMessageBytes)
	pc.Logger = env.Logger
	return pc
}
