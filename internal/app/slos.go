package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/flowslo/flowslo/alerting"
	"github.com/flowslo/flowslo/slo"
	"github.com/flowslo/flowslo/slo/engine"
	"github.com/flowslo/flowslo/ui"
)

// sloWatchInterval is how often the SLO files are checked for changes. A
// poll of a few stat calls is cheap and needs no inotify, which container
// volume mounts (ConfigMaps) do not always deliver.
const sloWatchInterval = 2 * time.Second

// sloSource keeps the engine's SLOs in step with the files at path: the
// last good set stays when a reload finds errors.
type sloSource struct {
	path    string
	app     *App
	print   string // fingerprint of the files last loaded
	reloads *prometheus.CounterVec
	loaded  prometheus.Gauge

	mu      sync.Mutex
	refused *ui.SLOLoadError // the last reload refused, nil after a good one
}

func newSLOSource(a *App) *sloSource {
	s := &sloSource{
		path: a.opts.SLOPath,
		app:  a,
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "flowslo_slo_reloads_total",
			Help: "Loads of the SLO files, by result (ok, error: the last good set was kept).",
		}, []string{"result"}),
		loaded: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "flowslo_slos",
			Help: "SLOs being evaluated.",
		}),
	}
	a.registry.MustRegister(s.reloads, s.loaded)
	return s
}

// load reads the files at start: any error refuses the start, with every
// problem listed, so a bad file never runs silently.
func (s *sloSource) load() error {
	if s.path == "" {
		return nil
	}
	slos, err := s.read()
	if err != nil {
		return fmt.Errorf("SLO files in %s are invalid; fix them or check with `flowslo validate %s`:\n%w", s.path, s.path, err)
	}
	s.print = fingerprint(s.path)
	s.apply(slos)
	return nil
}

// reload re-reads the files on SIGHUP or a change; on errors it logs each
// one and keeps what is running.
func (s *sloSource) reload(why string) {
	if s.path == "" {
		return
	}
	s.print = fingerprint(s.path)
	slos, err := s.read()
	if err != nil {
		s.reloads.WithLabelValues("error").Inc()
		s.app.log.Error("SLO reload refused; keeping the last good set", "trigger", why, "path", s.path,
			"errors", strings.Split(err.Error(), "\n"))
		s.setRefused(&ui.SLOLoadError{Path: s.path, Problems: problemsOf(err), At: time.Now().UTC(), InForce: len(s.app.engine.SLOs())})
		return
	}
	s.reloads.WithLabelValues("ok").Inc()
	s.apply(slos)
	s.setRefused(nil)
	s.app.log.Info("SLOs reloaded", "trigger", why, "count", len(slos))
}

// read loads the files and checks that every receiver they route alerts
// to is in the service config ("slack" always is: without a token its
// alerts are shown, not sent).
func (s *sloSource) read() ([]*slo.SLO, error) {
	slos, err := slo.Load(s.path)
	if err != nil {
		return nil, err
	}
	known := map[string]bool{slo.SlackReceiver: true}
	for _, r := range s.app.cfg.Alerting.Receivers {
		known[r.Name] = true
	}
	if bad := alerting.UnknownReceivers(slos, func(n string) bool { return known[n] }); len(bad) > 0 {
		return nil, fmt.Errorf("%s\nadd these receivers to alerting.receivers of the service config (--config), or route to one it has", strings.Join(bad, "\n"))
	}
	return slos, nil
}

func (s *sloSource) setRefused(e *ui.SLOLoadError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refused = e
}

// loadError is the last refused reload, for the Flows page and the API;
// nil while the files on disk are the ones in force.
func (s *sloSource) loadError() *ui.SLOLoadError {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refused
}

// problemsOf splits a load error into its problems: slo.Load joins one
// *slo.Error per problem (file and line); other checks add plain lines.
func problemsOf(err error) []ui.SLOProblem {
	var out []ui.SLOProblem
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else {
		errs = []error{err}
	}
	for _, e := range errs {
		var se *slo.Error
		if errors.As(e, &se) {
			out = append(out, ui.SLOProblem{File: se.File, Line: se.Line, Message: se.Msg})
			continue
		}
		for _, line := range strings.Split(e.Error(), "\n") {
			if line != "" {
				out = append(out, ui.SLOProblem{Message: line})
			}
		}
	}
	return out
}

func (s *sloSource) apply(slos []*slo.SLO) {
	s.app.engine.SetSLOs(slos)
	s.loaded.Set(float64(len(slos)))
}

// watch reloads on every signal from reload and whenever the files change.
func (s *sloSource) watch(ctx context.Context, signals <-chan struct{}) {
	t := time.NewTicker(sloWatchInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-signals:
			s.reload("SIGHUP")
		case <-t.C:
			if s.path != "" && fingerprint(s.path) != s.print {
				s.reload("file change")
			}
		}
	}
}

// fingerprint summarises the names, sizes and modification times of the
// YAML files under path.
func fingerprint(path string) string {
	h := sha256.New()
	_ = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		if ext := filepath.Ext(p); ext != ".yaml" && ext != ".yml" {
			return nil
		}
		if info, err := os.Stat(p); err == nil {
			fmt.Fprintf(h, "%s %d %d\n", p, info.Size(), info.ModTime().UnixNano())
		}
		return nil
	})
	return hex.EncodeToString(h.Sum(nil))
}

// newEngine evaluates the SLOs; after every cycle it wakes alerting, so a
// page goes out on the freshest numbers rather than a cycle later. A
// follower's is readOnly (see engineView).
func newEngine(a *App, q engine.Querier, readOnly bool) *engine.Engine {
	return engine.New(q, engine.Options{
		ReadOnly:  readOnly,
		Logger:    a.log,
		Readiness: a.cfg.Readiness.Thresholds(),
		// The TTLs the store applies, in whole days: backfills stop there.
		RawRetention: a.cfg.Storage.SignalRetention("traces"),
		RawRetentionByTable: map[string]time.Duration{
			"otel_traces": a.cfg.Storage.SignalRetention("traces"),
			"otel_logs":   a.cfg.Storage.SignalRetention("logs"),
		},
		RollMargin: a.cfg.Storage.rollMargin(),
		Processes:  a.cfg.Storage.processes(),
		Evaluated: func() {
			if a.alerts != nil {
				a.alerts.Trigger()
			}
		},
	})
}
