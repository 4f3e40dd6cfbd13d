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
`)
	cfg, err := LoadConfig(good)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Storage.RetentionDays() != 7 || cfg.Alerting.EvaluationInterval != 5*time.Second ||
		cfg.Alerting.RepeatInterval != 4*time.Hour || cfg.Readiness.Thresholds().LowBudget != 0.4 {
		t.Errorf("loaded %+v", cfg)
	}

	bad := filepath.Join(dir, "bad.yaml")
	writeFile(t, bad, `storage:
  retention: 2h
alerting:
  evaluation_interval: 1h
readiness:
  low_budget_percent: 140
`)
	_, err = LoadConfig(bad)
	for _, want := range []string{"storage.retention 2h0m0s is too short", "alerting.evaluation_interval 1h0m0s is out of range", "readiness.low_budget_percent 140 is out of range"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("bad config error %v lacks %q", err, want)
		}
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
