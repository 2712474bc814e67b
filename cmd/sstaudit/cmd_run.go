package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/sstaudit/sstaudit/consumers"
)

// runPipeline is the body of `sstaudit run`: the pipeline plus its HTTP
// endpoints, until SIGINT/SIGTERM (ctx) stops intake; then the batch in hand
// is flushed and committed, and everything closes.
func runPipeline(ctx context.Context, env *Env, cfg RunConfig) error {
	aud, err := buildAuditor(env, "run")
	if err != nil {
		return err
	}
	p, err := consumers.New(pipelineConfig(env, cfg, aud), aud.Checks())
	if err != nil {
		return usageErrorf("run: %v", err)
	}
	srv, err := serveHTTP(ctx, env, cfg.HTTP, p)
	if err != nil {
		return err
	}
	defer srv.shutdown()
	env.Logger.Info("sstaudit running", "brokers", cfg.Brokers, "group", cfg.Group, "http", srv.addr, "version", env.Version)
	if err := p.Run(ctx); err != nil {
		return fmt.Errorf("run: %w", err)
	}
	env.Logger.Info("sstaudit stopped cleanly")
	return nil
}

// httpServer is the --http listener of run and demo.
type httpServer struct {
	addr string
	srv  *http.Server
	done chan struct{}
}

// serveHTTP starts /healthz and /readyz (and whatever else mux carries) on
// addr. The listener is bound before it returns, so a port clash is an
// immediate error.
func serveHTTP(ctx context.Context, env *Env, addr string, p *consumers.Pipeline) (*httpServer, error) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if ok, why := p.Ready(); !ok {
			http.Error(w, "not ready: "+why, http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ready\n"))
	})
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("http: listen on %s: %w", addr, err)
	}
	s := &httpServer{addr: ln.Addr().String(), srv: &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			env.Logger.Error("http server", "error", err)
		}
	}()
	return s, nil
}

// shutdown stops the server, letting requests in flight finish for a few
// seconds. It is safe to call more than once.
func (s *httpServer) shutdown() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = s.srv.Shutdown(ctx)
	<-s.done
}
