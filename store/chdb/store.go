package chdb

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"

	"github.com/flowslo/flowslo/store"
)

// Options configure the embedded store.
type Options struct {
	// DataDir holds the ClickHouse data; one per process.
	DataDir string
	// Database is created if missing and used by every statement; default "flowslo".
	Database string
	// LibPath overrides $FLOWSLO_CHDB_LIB and DefaultLibPath.
	LibPath string
	// TTLDays is the retention of spans and logs; 0 means store.DefaultTTLDays.
	TTLDays int
	// TracesTTLDays and LogsTTLDays, when set, are one signal's retention
	// instead of TTLDays.
	TracesTTLDays, LogsTTLDays int
	// QueryConns is how many queries run at once; default 2.
	QueryConns int
	// InsertConns is how many inserts run at once per table (otel_traces,
	// otel_logs), on connections apart from the queries', so a slow query
	// never holds ingest; default 1. One insert keeps about one core busy,
	// and inserts of one table taking turns make fewer, larger parts than
	// concurrent ones: with clients waiting for their acknowledgement, what
	// arrives during one insert becomes the next.
	InsertConns int
	// Schema are the domains' migrations (slo/engine, alerting), applied
	// after the core ones.
	Schema []store.Migration
	// MaxMemoryBytes caps the memory the engine may hold
	// (max_server_memory_usage): a query that would take it further fails
	// with ClickHouse's MEMORY_LIMIT_EXCEEDED instead of taking the host.
	// 0 leaves ClickHouse's default (90% of RAM). Read by the first store
	// a process opens (the engine starts once per process).
	MaxMemoryBytes uint64
}

const defaultDatabase = "flowslo"

var dbName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func (o *Options) defaults() error {
	if o.DataDir == "" {
		return errors.New("data dir is required")
	}
	if o.Database == "" {
		o.Database = defaultDatabase
	}
	if !dbName.MatchString(o.Database) {
		return fmt.Errorf("database name %q: use letters, digits and '_'", o.Database)
	}
	if o.QueryConns <= 0 {
		o.QueryConns = 2
	}
	if o.InsertConns <= 0 {
		o.InsertConns = 1
	}
	abs, err := filepath.Abs(o.DataDir)
	if err != nil {
		return err
	}
	o.DataDir = abs
	return nil
}

// Store is the embedded ClickHouse (chDB) implementation of store.Store.
type Store struct {
	opts        Options
	spanInserts pool
	logInserts  pool
	queries     pool
	all         []*conn
	close       sync.Once
}

var _ store.Store = (*Store)(nil)

// Open loads libchdb.so, opens the data dir, creates the database and runs
// the migrations.
func Open(ctx context.Context, opts Options) (*Store, error) {
	if err := opts.defaults(); err != nil {
		return nil, fmt.Errorf("open chdb: %w", err)
	}
	l, err := loadLib(ResolveLibPath(opts.LibPath))
	if err != nil {
		return nil, fmt.Errorf("open chdb: %w", err)
	}
	s := &Store{opts: opts}
	if err := s.connectAll(l); err != nil {
		s.Close()
		return nil, fmt.Errorf("open chdb at %s: %w", opts.DataDir, err)
	}
	// EngineCodecs: engineConfig picks LZ4 or ZSTD(1) by part size.
	if err := store.Migrate(ctx, s, s.migrateOptions(), opts.Schema); err != nil {
		s.Close()
		return nil, fmt.Errorf("open chdb: %w", err)
	}
	return s, nil
}

// querySettings make JSONCompactEachRow cheap to parse into Go values:
// 64-bit integers as JSON numbers, NaN and infinities as strings.
var querySettings = []string{
	"--output_format_json_quote_64bit_integers=0",
	"--output_format_json_quote_denormals=1",
}

func (s *Store) migrateOptions() store.MigrateOptions {
	return store.MigrateOptions{TTLDays: s.opts.TTLDays, TracesTTLDays: s.opts.TracesTTLDays, LogsTTLDays: s.opts.LogsTTLDays, EngineCodecs: true}
}

// insertSettings: skip indexes (the bloom filters over attribute maps) are
// built when parts merge instead of on every insert, which halves insert CPU;
// fresh parts are still read correctly, just without index pruning.
//
// max_partitions_per_insert_block (default 100) would refuse a request whose
// spans fall on more days than that. Ingest only admits timestamps within
// retention (plus an hour ahead), so a block can touch at most ttl+2 day
// partitions; the limit is set there, and still stops a block that is not
// telemetry within retention.
func insertSettings(ttlDays int) []string {
	return []string{
		"--materialize_skip_indexes_on_insert=0",
		"--max_partitions_per_insert_block=" + strconv.Itoa(store.MaxInsertPartitions(ttlDays)),
	}
}

func (s *Store) connectAll(l *lib) error {
	first, err := s.connect(l, querySettings)
	if err != nil {
		return err
	}
	// The database must exist before any connection can USE it.
	if _, err := first.query("CREATE DATABASE IF NOT EXISTS `"+s.opts.Database+"`", "TabSeparated", nil); err != nil {
		return fmt.Errorf("create database: %w", err)
	}
	if err := s.use(first); err != nil {
		return err
	}
	qs, err := s.connectN(l, s.opts.QueryConns-1, querySettings)
	if err != nil {
		return err
	}
	s.queries = newPool(append(qs, first)...)
	spans, err := s.connectN(l, s.opts.InsertConns, insertSettings(s.migrateOptions().MaxTTLDays()))
	if err != nil {
		return err
	}
	s.spanInserts = newPool(spans...)
	logs, err := s.connectN(l, s.opts.InsertConns, insertSettings(s.migrateOptions().MaxTTLDays()))
	if err != nil {
		return err
	}
	s.logInserts = newPool(logs...)
	return nil
}

func (s *Store) connectN(l *lib, n int, settings []string) ([]*conn, error) {
	var cs []*conn
	for range n {
		c, err := s.connect(l, settings)
		if err != nil {
			return nil, err
		}
		if err := s.use(c); err != nil {
			return nil, err
		}
		cs = append(cs, c)
	}
	return cs, nil
}

func (s *Store) connect(l *lib, settings []string) (*conn, error) {
	c, err := engineConnect(l, s.opts.DataDir, settings, engineConfig(s.opts.MaxMemoryBytes))
	if err != nil {
		return nil, err
	}
	s.all = append(s.all, c)
	return c, nil
}

func (s *Store) use(c *conn) error {
	if _, err := c.query("USE `"+s.opts.Database+"`", "TabSeparated", nil); err != nil {
		return fmt.Errorf("use database: %w", err)
	}
	return nil
}

// Database is the database the store works in.
func (s *Store) Database() string { return s.opts.Database }

// Exec runs a statement on a query connection and discards its output.
func (s *Store) Exec(ctx context.Context, query string, params store.Params) error {
	_, err := s.run(ctx, s.queries, query, "TabSeparated", params)
	return err
}

// Query runs a SELECT and returns its rows, fully read into memory.
func (s *Store) Query(ctx context.Context, query string, params store.Params) (store.Rows, error) {
	res, err := s.run(ctx, s.queries, query, "JSONCompactEachRow", params)
	if err != nil {
		return nil, err
	}
	return newRows(res.data), nil
}

func (s *Store) run(ctx context.Context, p pool, query, format string, params store.Params) (result, error) {
	c, err := p.get(ctx)
	if err != nil {
		return result{}, fmt.Errorf("chdb: %w", err)
	}
	defer p.put(c)
	res, err := c.query(query, format, params)
	if err != nil {
		return result{}, wrapQuery(err, query)
	}
	return res, nil
}

// Ping runs a trivial query on a query connection.
func (s *Store) Ping(ctx context.Context) error {
	return s.Exec(ctx, "SELECT 1", nil)
}

// Close waits for running statements and closes every connection. Closing
// the last connection of the process shuts the engine down.
func (s *Store) Close() error {
	s.close.Do(func() {
		s.spanInserts.drain()
		s.logInserts.drain()
		s.queries.drain()
		for _, c := range s.all {
			engineRelease(c)
		}
	})
	return nil
}

// MemoryInUse is the memory the embedded ClickHouse engine holds (its
// MemoryTracking metric: queries, inserts, merges and caches), which goes
// down as it frees memory, unlike the process's resident size.
func (s *Store) MemoryInUse(ctx context.Context) (uint64, error) {
	rows, err := s.Query(ctx, "SELECT toUInt64(greatest(value, 0)) FROM system.metrics WHERE metric = 'MemoryTracking'", nil)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var n uint64
	if rows.Next() {
		if err := rows.Scan(&n); err != nil {
			return 0, err
		}
	}
	return n, rows.Err()
}
