package app

import (
	"context"
	"errors"
	"slices"

	"github.com/flowslo/flowslo/alerting"
	"github.com/flowslo/flowslo/slo/engine"
	"github.com/flowslo/flowslo/store"
	"github.com/flowslo/flowslo/store/chdb"
	"github.com/flowslo/flowslo/store/chserver"
)

// openStore opens the embedded engine, or a ClickHouse server when a DSN is
// given, and leaves it migrated.
func openStore(ctx context.Context, opts Options, cfg Config) (store.Store, error) {
	if opts.ClickHouseDSN != "" {
		return openServerStore(ctx, opts.ClickHouseDSN, cfg)
	}
	if cfg.Storage.Cluster != "" {
		return nil, errors.New("storage.cluster needs a ClickHouse server: pass --clickhouse-dsn, or remove cluster from the config")
	}
	return chdb.Open(ctx, chdb.Options{
		DataDir:  opts.DataDir,
		Database: opts.Database,
		TTLDays:  cfg.Storage.RetentionDays(),
		Schema:   Schema(),
	})
}

// Schema is every domain's migrations, in the order they are applied
// after the core tables': each domain owns its DDL next to its queries.
func Schema() []store.Migration {
	return slices.Concat(engine.Migrations(), alerting.Migrations())
}

func openServerStore(ctx context.Context, dsn string, cfg Config) (store.Store, error) {
	return chserver.Open(ctx, dsn, chserver.Options{
		TTLDays: cfg.Storage.RetentionDays(),
		Cluster: cfg.Storage.Cluster,
		Schema:  Schema(),
	})
}
