package app

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flowslo/flowslo/alerting"
	"github.com/flowslo/flowslo/slo/engine"
	"github.com/flowslo/flowslo/store"
	"github.com/flowslo/flowslo/store/lease"
)

func TestLoadConfig(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	writeFile(t, good, `storage:
  retention: 7d
alerting:
  evaluation_interval: 5s
readiness:
  low_budget_percent: 40
  fast_burn: 10
queue:
  dir: /var/lib/flowslo/queue
  max_bytes: 1048576
  fsync: false
`)
	cfg, err := LoadConfig(good)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Storage.RetentionDays() != 7 || cfg.Alerting.EvaluationInterval != 5*time.Second ||
		cfg.Alerting.RepeatInterval != 4*time.Hour || cfg.Readiness.Thresholds().LowBudget != 0.4 ||
		cfg.Queue.Dir != "/var/lib/flowslo/queue" || cfg.Queue.MaxBytes != 1<<20 || cfg.Queue.FSync == nil || *cfg.Queue.FSync {
		t.Errorf("loaded %+v", cfg)
	}

	bad := filepath.Join(dir, "bad.yaml")
	writeFile(t, bad, `storage:
  retention: 2h
alerting:
  evaluation_interval: 1h
readiness:
  low_budget_percent: 140
queue:
  max_bytes: -1
  insert_bytes: 100
  insert_linger: 1m
`)
	_, err = LoadConfig(bad)
	for _, want := range []string{"storage.retention 2h0m0s is too short", "alerting.evaluation_interval 1h0m0s is out of range", "readiness.low_budget_percent 140 is out of range",
		"queue.max_bytes -1 is negative", "queue.insert_bytes 100 is out of range", "queue.insert_linger 1m0s is out of range"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("bad config error %v lacks %q", err, want)
		}
	}

	perSignal := filepath.Join(dir, "signals.yaml")
	writeFile(t, perSignal, "storage:\n  retention: 30d\n  retention_logs: 7d\n")
	cfg, err = LoadConfig(perSignal)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Storage.SignalRetentionDays("traces") != 30 || cfg.Storage.SignalRetentionDays("logs") != 7 {
		t.Errorf("retention traces %d logs %d, want 30 and 7", cfg.Storage.SignalRetentionDays("traces"), cfg.Storage.SignalRetentionDays("logs"))
	}
	badSignal := filepath.Join(dir, "badsignal.yaml")
	writeFile(t, badSignal, "storage:\n  retention_traces: 12h\n")
	if _, err := LoadConfig(badSignal); err == nil || !strings.Contains(err.Error(), "storage.retention_traces 12h0m0s is too short") {
		t.Errorf("a retention_traces under a day must be refused by name, got %v", err)
	}

	typo := filepath.Join(dir, "typo.yaml")
	writeFile(t, typo, "storage:\n  retentoin: 7d\n")
	if _, err := LoadConfig(typo); err == nil || !strings.Contains(err.Error(), "retentoin") {
		t.Errorf("a misspelt key must be refused by name, got %v", err)
	}
}

// TestSchemaVersionsApart: the core tables, the SLO engine, alerting and
// the leader lease each number their migrations in a range of their own.
func TestSchemaVersionsApart(t *testing.T) {
	if err := store.CheckVersions(store.Migrations, engine.Migrations(), alerting.Migrations(), lease.Migrations()); err != nil {
		t.Fatal(err)
	}
	if len(Schema()) != len(engine.Migrations())+len(alerting.Migrations())+len(lease.Migrations()) {
		t.Fatal("Schema leaves out a domain's migrations")
	}
}

// TestQueueOptions: a collector always queues (in <data-dir>/queue unless
// queue.dir says); the all-in-one only when queue.dir is set.
func TestQueueOptions(t *testing.T) {
	no := false
	for _, tc := range []struct {
		role    Role
		q       QueueConfig
		wantDir string // "" means no queue
	}{
		{RoleCollector, QueueConfig{}, filepath.Join("/data", "queue")},
		{RoleCollector, QueueConfig{Dir: "/q"}, "/q"},
		{RoleAll, QueueConfig{}, filepath.Join("/data", "queue")},
		{RoleAll, QueueConfig{Dir: "/q", FSync: &no}, "/q"},
		{RoleAll, QueueConfig{Enabled: &no}, ""},
		{RoleCollector, QueueConfig{Enabled: &no, Dir: "/q"}, ""},
	} {
		a := &App{opts: Options{Role: tc.role, DataDir: "/data"}, cfg: Config{Queue: tc.q}}
		got := a.queueOptions()
		switch {
		case tc.wantDir == "" && got != nil:
			t.Errorf("%s %+v: queue %+v, want none", tc.role, tc.q, got)
		case tc.wantDir != "" && (got == nil || got.Dir != tc.wantDir || got.NoFSync != (tc.q.FSync != nil && !*tc.q.FSync)):
			t.Errorf("%s %+v: queue %+v, want dir %s", tc.role, tc.q, got, tc.wantDir)
		}
	}
}
