package main

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/sstaudit/sstaudit/consumers"
	"github.com/sstaudit/sstaudit/processors/join"
	"github.com/sstaudit/sstaudit/processors/report"
	"github.com/sstaudit/sstaudit/processors/report/dashboard"
	"github.com/sstaudit/sstaudit/telemetry"
)

// runPipeline is the body of `sstaudit run`: telemetry from the OTEL_*
// environment, the pipeline, and its HTTP endpoints (/healthz, /readyz,
// /metrics), until SIGINT/SIGTERM (ctx) stops intake; then the batch in hand
// is flushed and committed, everything closes, and telemetry is flushed with
// a fresh deadline.
func runPipeline(ctx context.Context, env *Env, cfg RunConfig) error {
	aud, err := buildAuditor(env, "run")
	if err != nil {
		return err
	}
	inv, err := loadInventory(cfg.Inventory)
	if err != nil {
		return err
	}
	tel, shutdownTel, err := setupTelemetry(ctx, env, cfg.InstanceID, cfg.TraceRatio, cfg.Log)
	if err != nil {
		return err
	}
	defer shutdownTel()
	applyMemoryLimit(tel.Logger, env.Getenv, cfg.MemoryLimit)
	pc := pipelineConfig(env, cfg, aud)
	pc.Logger, pc.Telemetry = tel.Logger, tel
	live := dashboard.NewLive()
	pc.OnOutput = func(o join.Output) {
		live.Add(o.Audit)
		live.AddMetrics(o.Metrics)
	}
	p, err := consumers.New(pc, aud.Checks())
	if err != nil {
		return usageErrorf("run: %v", err)
	}
	dash, err := newDashboard(live, p, pc.Join.Alignment, inv, nil)
	if err != nil {
		return fmt.Errorf("run: %w", err)
	}
	srv, err := startHTTP(cfg.HTTP, p, tel, dash)
	if err != nil {
		return err
	}
	defer shutdownHTTP(srv)
	tel.Logger.Info("sstaudit running", "brokers", cfg.Brokers, "group", cfg.Group, "http", srv.Addr(), "version", env.Version)
	if err := p.Run(ctx); err != nil {
		return fmt.Errorf("run: %w", err)
	}
	tel.Logger.Info("sstaudit stopped cleanly")
	return nil
}

// setupTelemetry builds the logger, tracer and meter providers from the
// OTEL_* environment (none exported by default; /metrics always). A bad
// OTEL_* value is a configuration error. The returned func flushes and
// stops them within telemetry.ShutdownTimeout.
func setupTelemetry(ctx context.Context, env *Env, instanceID string, ratio float64, log telemetry.LogConfig) (telemetry.Settings, func(), error) {
	tel, shutdown, err := telemetry.Setup(ctx, telemetry.Config{
		Version: env.Version, InstanceID: instanceID, TraceRatio: ratio,
		Log: log, LogWriter: env.Stderr, Getenv: env.Getenv,
	})
	if err != nil {
		return tel, nil, usageErrorf("telemetry: %v", err)
	}
	return tel, func() {
		c, cancel := context.WithTimeout(context.Background(), telemetry.ShutdownTimeout)
		defer cancel()
		if err := shutdown(c); err != nil {
			tel.Logger.Warn("telemetry shutdown", "error", err)
		}
	}, nil
}

// startHTTP starts /healthz, /readyz, /metrics and the dashboard (/ and
// /api/summary) on addr; the listener is bound before it returns, so a port
// clash is an immediate error.
func startHTTP(addr string, p *consumers.Pipeline, tel telemetry.Settings, dash *dashboard.Dashboard) (*consumers.HTTPServer, error) {
	srv := consumers.NewHTTPServer(consumers.HTTPConfig{Addr: addr, Ready: p.Ready, Metrics: tel.MetricsHandler, Logger: tel.Logger})
	dash.Mount(srv.Handle)
	if err := srv.Start(); err != nil {
		return nil, fmt.Errorf("http: %w", err)
	}
	return srv, nil
}

// newDashboard serves live with p's readiness and totals. finished, when
// set and true, marks the pipeline as stopped on purpose (the demo).
func newDashboard(live *dashboard.Live, p *consumers.Pipeline, alignment time.Duration, inv *report.Inventory, finished *atomic.Bool) (*dashboard.Dashboard, error) {
	return dashboard.New(dashboard.Config{Live: live, Alignment: alignment, Inventory: inv, Health: func() dashboard.Health {
		ok, why := p.Ready()
		s := p.Stats()
		h := dashboard.Health{Ready: ok, Reason: why, Consumed: s.Consumed.Load(), Events: s.Events.Load(),
			DLQ: s.DLQ.Load(), AuditRecords: s.Findings.Load(), WindowMetrics: s.Metrics.Load(),
			Redelivered: s.Redelivery.Load(), OpenTasks: s.OpenTasks.Load()}
		if lag, ok := p.ConsumerLag(); ok {
			h.ConsumerLag = &lag
		}
		if finished != nil && finished.Load() {
			h.Ready, h.Stopped, h.Reason = false, true, "the demo's traffic is fully processed"
		}
		return h
	}})
}

func shutdownHTTP(srv *consumers.HTTPServer) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(ctx)
}
