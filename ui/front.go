package ui

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
)

// FrontOptions say where and how the HTTP server listens.
type FrontOptions struct {
	// Addr is the listen address; Listener, when set, is used instead
	// (tests that must know the port before flowslo starts).
	Addr     string
	Listener net.Listener
	// TLSCertFile and TLSKeyFile, both set, serve HTTPS.
	TLSCertFile, TLSKeyFile string
	// Limits give the server's timeouts.
	Limits Limits
	Logger *slog.Logger
}

// Front is the listening HTTP server. It answers from the moment it
// listens, before the rest of flowslo is up: /healthz says alive,
// /readyz and every other path answer 503 with the start-up state (for
// example "waiting for ClickHouse"), until Mount hands it the full UI.
type Front struct {
	http    *http.Server
	ln      net.Listener
	handler atomic.Pointer[http.Handler]
	state   atomic.Pointer[string]
}

// Listen opens the listener and serves the start-up answers on it.
func Listen(o FrontOptions) (*Front, error) {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	ln, err := listener(o)
	if err != nil {
		return nil, err
	}
	lim := o.Limits.withDefaults()
	f := &Front{ln: ln}
	f.SetState("starting")
	f.http = &http.Server{
		Handler:           http.HandlerFunc(f.serve),
		ReadTimeout:       lim.ReadTimeout,
		ReadHeaderTimeout: lim.ReadHeaderTimeout,
		WriteTimeout:      lim.WriteTimeout,
		IdleTimeout:       lim.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(o.Logger.Handler(), slog.LevelDebug),
	}
	go func() {
		if err := f.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			o.Logger.Error("http server stopped", "err", err)
		}
	}()
	return f, nil
}

func listener(o FrontOptions) (net.Listener, error) {
	if (o.TLSCertFile == "") != (o.TLSKeyFile == "") {
		return nil, errors.New("give both --tls-cert-file and --tls-key-file, or neither")
	}
	var cfg *tls.Config
	if o.TLSCertFile != "" {
		cert, err := tls.LoadX509KeyPair(o.TLSCertFile, o.TLSKeyFile)
		if err != nil {
			return nil, fmt.Errorf("load TLS certificate: %w", err)
		}
		cfg = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12, NextProtos: []string{"h2", "http/1.1"}}
	}
	ln := o.Listener
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", o.Addr); err != nil {
			return nil, err
		}
	}
	if cfg != nil {
		ln = tls.NewListener(ln, cfg)
	}
	return ln, nil
}

// SetState is what /readyz says until Mount.
func (f *Front) SetState(s string) { f.state.Store(&s) }

// Mount serves s from now on.
func (f *Front) Mount(s *Server) {
	s.front = f
	h := http.Handler(s.echo)
	f.handler.Store(&h)
}

func (f *Front) serve(w http.ResponseWriter, r *http.Request) {
	if h := f.handler.Load(); h != nil {
		(*h).ServeHTTP(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if r.URL.Path == "/healthz" {
		_ = json.NewEncoder(w).Encode(map[string]string{"status": "ok"})
		return
	}
	w.Header().Set("Retry-After", "1")
	w.WriteHeader(http.StatusServiceUnavailable)
	_ = json.NewEncoder(w).Encode(map[string]string{"status": "not ready", "reason": *f.state.Load()})
}

// Addr is the bound address.
func (f *Front) Addr() string { return f.ln.Addr().String() }

// Shutdown stops accepting requests and waits for those in flight.
func (f *Front) Shutdown(ctx context.Context) error { return f.http.Shutdown(ctx) }
