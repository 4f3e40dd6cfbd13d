package app

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flowslo/flowslo/slo"
	"github.com/flowslo/flowslo/store"
	"github.com/flowslo/flowslo/store/chdb/chdbtest"
)

var update = flag.Bool("update", false, "rewrite the golden DDL files in testdata/schema")

// TestSchemaGolden: the DDL flowslo runs, for one server and for a
// cluster, is the reviewed text in testdata/schema/*.sql. A change to the
// schema shows in the diff of those files (go test ./internal/app -run
// TestSchemaGolden -update rewrites them). No ClickHouse is needed.
func TestSchemaGolden(t *testing.T) {
	for _, name := range []string{"single", "cluster"} {
		t.Run(name, func(t *testing.T) {
			cfg, err := LoadConfig(filepath.Join("testdata", "schema", name+".yml"))
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			if err := WriteSchema(&out, cfg); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", "schema", name+".sql")
			if *update {
				if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if out.String() != string(want) {
				t.Errorf("DDL differs from %s (rerun with -update and review the diff):\n%s", golden, firstDiff(out.String(), string(want)))
			}
		})
	}
}

// TestClusterSchemaShape: what the cluster DDL must hold whatever its
// text: Distributed tables in front, sharded by trace id and by service;
// flowslo's own state replicated to every node (no {shard} in its path).
func TestClusterSchemaShape(t *testing.T) {
	var out bytes.Buffer
	if err := WriteSchema(&out, Config{Storage: StorageConfig{Cluster: "c1", Retention: slo.Duration(30 * 24 * time.Hour)}}); err != nil {
		t.Fatal(err)
	}
	ddl := out.String()
	for _, want := range []string{
		"CREATE TABLE IF NOT EXISTS otel_traces_local ON CLUSTER `c1` (",
		"CREATE TABLE IF NOT EXISTS otel_traces ON CLUSTER `c1` AS otel_traces_local\nENGINE = Distributed('c1', currentDatabase(), otel_traces_local, cityHash64(TraceId))",
		"CREATE TABLE IF NOT EXISTS otel_logs ON CLUSTER `c1` AS otel_logs_local\nENGINE = Distributed('c1', currentDatabase(), otel_logs_local, cityHash64(ServiceName))",
		"TO otel_traces AS SELECT * FROM otel_traces_ingest",
		") ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/flowslo/{database}/{table}', '{replica}')\nORDER BY (res, slice_key",
		") ENGINE = ReplicatedMergeTree('/clickhouse/flowslo/{database}/{table}', '{replica}')\nORDER BY version",
	} {
		if !strings.Contains(ddl, want) {
			t.Errorf("cluster DDL lacks %q", want)
		}
	}
	for _, stmt := range strings.Split(ddl, ";\n") {
		if strings.HasPrefix(strings.TrimSpace(stripComments(stmt)), "CREATE") && !strings.Contains(stmt, "ON CLUSTER `c1`") {
			t.Errorf("statement without ON CLUSTER: %s", stmt)
		}
	}
	if strings.Contains(ddl, "PARTITION BY") && strings.Contains(ddl[strings.Index(ddl, "slo_rollup"):], "PARTITION BY") {
		t.Error("slo_rollup got a partition key: a roll must stay one part")
	}
}

// TestSchemaParses: every generated statement, single and cluster, is
// valid ClickHouse syntax (formatQuery parses without executing, so ON
// CLUSTER and Replicated paths need no cluster).
func TestSchemaParses(t *testing.T) {
	st := chdbtest.Open(t)
	for _, cluster := range []string{"", "c1"} {
		var out bytes.Buffer
		if err := store.WriteDDL(&out, store.MigrateOptions{Cluster: cluster}, Schema()); err != nil {
			t.Fatal(err)
		}
		for _, stmt := range strings.Split(out.String(), ";\n") {
			stmt = strings.TrimSpace(stripComments(stmt))
			if stmt == "" {
				continue
			}
			rows, err := st.Query(t.Context(), "SELECT formatQuery({q:String})", store.Params{"q": stmt})
			if err != nil {
				t.Errorf("cluster %q: does not parse: %v\n%s", cluster, err, stmt)
				continue
			}
			_ = rows.Close()
		}
	}
}

func stripComments(s string) string {
	var keep []string
	for _, l := range strings.Split(s, "\n") {
		if !strings.HasPrefix(l, "--") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := range max(len(g), len(w)) {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("line %d:\n got  %s\n want %s", i+1, gl, wl)
		}
	}
	return ""
}
