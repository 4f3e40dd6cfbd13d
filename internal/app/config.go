package app

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/flowslo/flowslo/alerting"
	"github.com/flowslo/flowslo/slo"
	"github.com/flowslo/flowslo/slo/engine"
	"github.com/flowslo/flowslo/store"
)

// maxConfigBytes bounds the service config file: it is a few lines of YAML.
const maxConfigBytes = 1 << 20

// Config is the service configuration read from --config. Every field has a
// default, so the file is optional.
type Config struct {
	Storage   StorageConfig   `yaml:"storage"`
	Alerting  AlertingConfig  `yaml:"alerting"`
	Readiness ReadinessConfig `yaml:"readiness"`
	Queue     QueueConfig     `yaml:"queue"`
}

// QueueConfig is ingest's persistent queue: requests are acknowledged once
// on disk there and stored from it, retried while ClickHouse is down. A
// collector always has one (dir default <data-dir>/queue); the all-in-one
// only when dir is set.
//
//	queue:
//	  dir: /var/lib/flowslo/queue
//	  max_bytes: 1073741824   # per signal; beyond it clients get 503 / Unavailable
//	  fsync: true             # false: a machine crash may lose the last seconds
//	  insert_bytes: 8388608   # the most queued bytes one insert takes
//	  insert_linger: 250ms    # under a steady flow, the least time between two inserts (0s: 250ms)
//	  enabled: true           # false: acknowledge once stored in ClickHouse
type QueueConfig struct {
	Enabled     *bool  `yaml:"enabled"`
	Dir         string `yaml:"dir"`
	MaxBytes    int64  `yaml:"max_bytes"`
	FSync       *bool  `yaml:"fsync"`
	InsertBytes int64  `yaml:"insert_bytes"`
	// InsertLinger: see ingest.QueueOptions.InsertLinger.
	InsertLinger time.Duration `yaml:"insert_linger"`
}

func (q QueueConfig) validate() error {
	var errs []error
	if q.MaxBytes < 0 {
		errs = append(errs, fmt.Errorf("queue.max_bytes %d is negative: write a size in bytes, e.g. 1073741824 (1 GiB)", q.MaxBytes))
	}
	if q.InsertBytes != 0 && (q.InsertBytes < 64<<10 || q.InsertBytes > 1<<30) {
		errs = append(errs, fmt.Errorf("queue.insert_bytes %d is out of range: write 65536 (64 KiB) to 1073741824 (1 GiB), e.g. 8388608 (8 MiB)", q.InsertBytes))
	}
	if q.InsertLinger < 0 || q.InsertLinger > 10*time.Second {
		errs = append(errs, fmt.Errorf("queue.insert_linger %s is out of range: write 0s to 10s, e.g. 250ms (0s: the default)", q.InsertLinger))
	}
	return errors.Join(errs...)
}

// ReadinessConfig are the thresholds of the release verdicts; unset fields
// keep the engine's defaults (DefaultThresholds).
type ReadinessConfig struct {
	// MinBudgetPercent: at or below this error budget left, not ready.
	MinBudgetPercent float64 `yaml:"min_budget_percent"`
	// LowBudgetPercent: below this error budget left, at risk (default 25).
	LowBudgetPercent float64 `yaml:"low_budget_percent"`
	// FastBurn over 1h and 5m makes a flow not ready (default: each SLO's
	// fastest page rule as alerting applies it, 14.4 scaled to its window).
	FastBurn float64 `yaml:"fast_burn"`
	// SlowBurn over 6h and 30m makes it at risk (default: the SLO's other
	// page rules, 6 scaled to its window).
	SlowBurn float64 `yaml:"slow_burn"`
	// Rising: a 1h burn this many times the 1d one is a worsening trend
	// (default 2).
	Rising float64 `yaml:"rising"`
	// MinEvents a release needs in an SLO (and a platform of it) before
	// it is judged; below, its verdict is "unknown: not enough events
	// yet", never "worse" (default 100).
	MinEvents uint64 `yaml:"min_events"`
	// Significance is the level of the test of a release against the
	// previous one: a difference is real when its two-sided p-value is
	// below it (default 0.05).
	Significance float64 `yaml:"significance"`
}

// Thresholds converts the config to the engine's form (shares, not percent).
func (r ReadinessConfig) Thresholds() engine.Thresholds {
	return engine.Thresholds{
		MinBudget: r.MinBudgetPercent / 100,
		LowBudget: r.LowBudgetPercent / 100,
		FastBurn:  r.FastBurn,
		SlowBurn:  r.SlowBurn,
		Rising:    r.Rising,
		MinEvents: r.MinEvents,
		Alpha:     r.Significance,
	}
}

func (r ReadinessConfig) validate() error {
	var errs []error
	for name, v := range map[string]float64{"min_budget_percent": r.MinBudgetPercent, "low_budget_percent": r.LowBudgetPercent} {
		if v < 0 || v > 100 {
			errs = append(errs, fmt.Errorf("readiness.%s %g is out of range: write a percent from 0 to 100, e.g. 25", name, v))
		}
	}
	for name, v := range map[string]float64{"fast_burn": r.FastBurn, "slow_burn": r.SlowBurn, "rising": r.Rising} {
		if v < 0 {
			errs = append(errs, fmt.Errorf("readiness.%s %g is negative: write a burn-rate factor, e.g. 6", name, v))
		}
	}
	if r.Significance < 0 || r.Significance >= 1 {
		errs = append(errs, fmt.Errorf("readiness.significance %g is out of range: write a p-value level between 0 and 1, e.g. 0.05", r.Significance))
	}
	return errors.Join(errs...)
}

// StorageConfig says how long telemetry is kept and where it lives at scale.
type StorageConfig struct {
	// Retention is how long spans and logs are kept (ClickHouse TTL).
	Retention slo.Duration `yaml:"retention"`
	// RetentionTraces and RetentionLogs, when set, are one signal's
	// retention instead of Retention: its table's TTL, the oldest
	// timestamp ingest accepts for it, and how far back SLOs over it can
	// be backfilled.
	RetentionTraces slo.Duration `yaml:"retention_traces"`
	RetentionLogs   slo.Duration `yaml:"retention_logs"`
	// Cluster names a ClickHouse cluster: tables are created ON CLUSTER with
	// Replicated engines. Empty for a single server or the embedded engine.
	Cluster string `yaml:"cluster"`
	// RollMargin is how far behind ClickHouse's clock the SLO engine counts
	// stored rows (default 2s). Running INSERTs hold it back by themselves;
	// raise it when another writer uses ClickHouse async inserts or Buffer
	// tables, whose rows are stored by the server after their INSERT ended.
	RollMargin slo.Duration `yaml:"roll_margin"`
}

// DefaultConfig is what flowslo runs with when no file is given.
func DefaultConfig() Config {
	return Config{
		Storage:  StorageConfig{Retention: slo.Duration(30 * 24 * time.Hour)},
		Alerting: AlertingConfig{Config: alerting.Config{}.WithDefaults()},
	}
}

// LoadConfig reads a service config file over the defaults. An empty path
// gives the defaults.
func LoadConfig(path string) (Config, error) {
	cfg := DefaultConfig()
	if path == "" {
		return cfg, nil
	}
	data, err := readLimited(path, maxConfigBytes)
	if err != nil {
		return cfg, fmt.Errorf("read config: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true) // a typo in a key is an error, not a silent default
	if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
		return cfg, fmt.Errorf("config %s: %w", path, err)
	}
	cfg.Alerting.Config = cfg.Alerting.Config.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return cfg, fmt.Errorf("config %s: %w", path, err)
	}
	return cfg, nil
}

// Validate reports every problem in the config at once.
func (c Config) Validate() error {
	var errs []error
	if r := time.Duration(c.Storage.Retention); r < 24*time.Hour {
		errs = append(errs, fmt.Errorf("storage.retention %s is too short: write at least 1d, e.g. 30d", r))
	}
	for key, r := range map[string]slo.Duration{"retention_traces": c.Storage.RetentionTraces, "retention_logs": c.Storage.RetentionLogs} {
		if r != 0 && time.Duration(r) < 24*time.Hour {
			errs = append(errs, fmt.Errorf("storage.%s %s is too short: write at least 1d, e.g. 14d, or leave it out to use storage.retention", key, time.Duration(r)))
		}
	}
	if m := time.Duration(c.Storage.RollMargin); m < 0 || m > time.Hour {
		errs = append(errs, fmt.Errorf("storage.roll_margin %s is out of range: write 0s to 1h, e.g. 10s", m))
	}
	if err := (store.MigrateOptions{Cluster: c.Storage.Cluster}).Validate(); err != nil {
		errs = append(errs, fmt.Errorf("storage.cluster: %w", err))
	}
	al := c.Alerting
	al.Config = al.Config.WithDefaults()
	errs = append(errs, al.Validate(), c.Readiness.validate(), c.Queue.validate())
	return errors.Join(errs...)
}

// clusterRollMargin is the default roll margin on a cluster: a row is
// visible on the replica a roll reads only once replication brought it
// there, usually well under a second, so 10 s leaves room.
const clusterRollMargin = 10 * time.Second

func (c StorageConfig) rollMargin() time.Duration {
	if c.RollMargin == 0 && c.Cluster != "" {
		return clusterRollMargin
	}
	return time.Duration(c.RollMargin)
}

// processes is where the engine sees running INSERTs: every node's on a
// cluster.
func (c StorageConfig) processes() string {
	if c.Cluster == "" {
		return ""
	}
	return "clusterAllReplicas('" + c.Cluster + "', system.processes)"
}

// RetentionDays is the retention rounded down to whole days, as ClickHouse's
// TTL clause takes it.
func (c StorageConfig) RetentionDays() int {
	return int(time.Duration(c.Retention) / (24 * time.Hour))
}

// SignalRetentionDays is one signal's ("traces", "logs") retention in
// whole days: its own setting, or Retention.
func (c StorageConfig) SignalRetentionDays(signal string) int {
	own := map[string]slo.Duration{"traces": c.RetentionTraces, "logs": c.RetentionLogs}[signal]
	if own == 0 {
		return c.RetentionDays()
	}
	return int(time.Duration(own) / (24 * time.Hour))
}

// SignalRetention is SignalRetentionDays as a duration: what the TTL
// keeps, so what ingest accepts and backfills can reach.
func (c StorageConfig) SignalRetention(signal string) time.Duration {
	return time.Duration(c.SignalRetentionDays(signal)) * 24 * time.Hour
}

func readLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, limit)
	}
	return data, nil
}
