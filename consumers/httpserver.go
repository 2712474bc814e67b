package consumers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
)

// HTTPConfig configures the --http endpoint of `sstaudit run`.
type HTTPConfig struct {
	// Addr is the listen address (SPEC §9 default 127.0.0.1:8080; ":0"
	// picks a free port, see HTTPServer.Addr).
	Addr string
	// Ready reports readiness for /readyz: Pipeline.Ready. Nil means always
	// ready.
	Ready func() (bool, string)
	// Metrics serves /metrics: telemetry.Settings.MetricsHandler. Nil
	// leaves /metrics unmounted (404).
	Metrics http.Handler
	// ShutdownTimeout bounds how long Shutdown lets requests in flight
	// finish. Default 5s.
	ShutdownTimeout time.Duration
	Logger          *slog.Logger
}

// HTTPServer serves /healthz (the process is alive), /readyz (200 when the
// pipeline is ready, 503 with the reason when not) and /metrics, plus
// whatever Handle mounts (the dashboard's / and /api/summary).
type HTTPServer struct {
	cfg  HTTPConfig
	mux  *http.ServeMux
	srv  *http.Server
	ln   net.Listener
	done chan struct{}
	once sync.Once
}

// NewHTTPServer prepares the server; nothing listens until Start.
func NewHTTPServer(cfg HTTPConfig) *HTTPServer {
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = 5 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &HTTPServer{cfg: cfg, mux: http.NewServeMux(), done: make(chan struct{})}
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	s.mux.HandleFunc("GET /readyz", s.readyz)
	if cfg.Metrics != nil {
		s.mux.Handle("GET /metrics", cfg.Metrics)
	}
	s.srv = &http.Server{Handler: s.mux, ReadHeaderTimeout: 5 * time.Second, IdleTimeout: time.Minute,
		ErrorLog: slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelWarn)}
	return s
}

func (s *HTTPServer) readyz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if s.cfg.Ready != nil {
		if ok, why := s.cfg.Ready(); !ok {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("not ready: " + why + "\n"))
			return
		}
	}
	_, _ = w.Write([]byte("ready\n"))
}

// Handle mounts h on pattern (net/http ServeMux syntax, e.g.
// "GET /api/summary"). Call it before Start.
func (s *HTTPServer) Handle(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

// Start binds the listener, so a port clash is an immediate error, and
// serves in the background until Shutdown.
func (s *HTTPServer) Start() error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("consumers: http listen on %s: %w", s.cfg.Addr, err)
	}
	s.ln = ln
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.cfg.Logger.Error("http server stopped", "error", err)
		}
	}()
	return nil
}

// Addr is the address listened on (after Start), with the port resolved.
func (s *HTTPServer) Addr() string {
	if s.ln == nil {
		return s.cfg.Addr
	}
	return s.ln.Addr().String()
}

// Shutdown stops accepting connections and lets requests in flight finish
// within ShutdownTimeout (or ctx's deadline, if sooner), then closes what
// is left. It is idempotent and safe without Start.
func (s *HTTPServer) Shutdown(ctx context.Context) error {
	var err error
	s.once.Do(func() {
		if s.ln == nil {
			return
		}
		sctx, cancel := context.WithTimeout(ctx, s.cfg.ShutdownTimeout)
		defer cancel()
		if err = s.srv.Shutdown(sctx); err != nil {
			_ = s.srv.Close()
		}
		<-s.done
	})
	return err
}

// Run starts the server and shuts it down when ctx is cancelled.
func (s *HTTPServer) Run(ctx context.Context) error {
	if err := s.Start(); err != nil {
		return err
	}
	<-ctx.Done()
	return s.Shutdown(context.WithoutCancel(ctx))
}
