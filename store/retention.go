package store

import (
	"context"
	"fmt"
	"strings"
)

// retentionTTL is each telemetry table's TTL expression, as in its DDL, with
// the number of days left to fill in.
var retentionTTL = map[string]string{
	"otel_traces": "toDateTime(Timestamp) + toIntervalDay(%d)",
	"otel_logs":   "TimestampTime + toIntervalDay(%d)",
}

// applyRetention brings the TTL of existing tables in line with the
// configured retention. CREATE TABLE IF NOT EXISTS only sets it once, and a
// changed `storage.retention` (or `retention_traces`, `retention_logs`) must take effect on the next start. The ALTER
// runs only when the days differ, and does not rewrite old parts
// (materialize_ttl_after_modify=0): ClickHouse drops whole expired parts as
// it merges, and ttl_only_drop_parts keeps that cheap.
func applyRetention(ctx context.Context, s Store, o MigrateOptions) error {
	for name, expr := range retentionTTL {
		table := o.DataTable(name) // a Distributed table has no TTL
		want := fmt.Sprintf(expr, o.TableTTLDays(name))
		current, err := createQuery(ctx, s, table)
		if err != nil {
			return err
		}
		if strings.Contains(current, "TTL "+want) {
			continue
		}
		alter := fmt.Sprintf("ALTER TABLE %s%s MODIFY TTL %s SETTINGS materialize_ttl_after_modify = 0",
			table, o.OnCluster(), want)
		if err := s.Exec(ctx, alter, nil); err != nil {
			return fmt.Errorf("set retention of %s: %w", table, err)
		}
	}
	return nil
}

func createQuery(ctx context.Context, s Store, table string) (string, error) {
	rows, err := s.Query(ctx,
		"SELECT create_table_query FROM system.tables WHERE database = currentDatabase() AND name = {table:String}",
		Params{"table": table})
	if err != nil {
		return "", fmt.Errorf("read definition of %s: %w", table, err)
	}
	defer rows.Close()
	var q string
	if rows.Next() {
		if err := rows.Scan(&q); err != nil {
			return "", err
		}
	}
	return q, rows.Err()
}
