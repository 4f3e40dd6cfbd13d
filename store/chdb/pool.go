package chdb

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
)

// pool hands out connections one statement at a time; waiting honours ctx.
type pool chan *conn

func newPool(cs ...*conn) pool {
	p := make(pool, len(cs))
	for _, c := range cs {
		p <- c
	}
	return p
}

var errClosed = errors.New("store closed")

func (p pool) get(ctx context.Context) (*conn, error) {
	select {
	case c, ok := <-p:
		if !ok {
			return nil, errClosed
		}
		return c, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (p pool) put(c *conn) { p <- c }

// drain takes every connection back (waiting for running statements) and
// closes the pool, so later gets fail with errClosed.
func (p pool) drain() {
	if p == nil {
		return
	}
	for range cap(p) {
		<-p
	}
	close(p)
}

// engine tracks the process-wide chDB instance: one data path per process,
// alive while any connection is open.
var engine struct {
	sync.Mutex
	path  string
	conns int
}

func engineConnect(l *lib, path string, settings []string, config string) (*conn, error) {
	engine.Lock()
	defer engine.Unlock()
	if engine.conns > 0 && engine.path != path {
		return nil, fmt.Errorf("chdb already uses %s in this process (one data dir per process)", engine.path)
	}
	args := []string{"--path=" + path}
	if engine.conns == 0 && config != "" {
		// Server-level configuration is read when the engine starts, by
		// the first connection; later ones share the running engine.
		file, err := writeEngineConfig(path, config)
		if err != nil {
			return nil, err
		}
		args = append(args, "--config-file="+file)
	}
	c, err := connect(l, append(args, settings...)...)
	if err != nil {
		return nil, err
	}
	engine.path = path
	engine.conns++
	return c, nil
}

func engineRelease(c *conn) {
	engine.Lock()
	defer engine.Unlock()
	c.close()
	engine.conns--
}

// engineConfig is the engine's server configuration. Columns without a
// codec of their own (store.MigrateOptions.EngineCodecs) are compressed with
// LZ4 while their part is small, that is every freshly inserted part and
// the first merges, and with ZSTD(1), the contrib exporter's codec, once
// merges make a part of 16 MiB or more. LZ4 compresses several times
// faster, and the insert and the first merges of every span pay for it.
//
// Merges get half the cores (at least one thread): on a small machine two
// merge threads took CPU from the inserts and request handling they exist to
// serve, while one keeps up with the part rate of batched inserts.
//
// maxMemory, when not 0, is max_server_memory_usage (Options.MaxMemoryBytes).
func engineConfig(maxMemory uint64) string {
	var limit string
	if maxMemory > 0 {
		limit = "\n    <max_server_memory_usage>" + strconv.FormatUint(maxMemory, 10) + "</max_server_memory_usage>"
	}
	return `<clickhouse>
    <background_pool_size>` + fmt.Sprint(max(1, runtime.NumCPU()/2)) + `</background_pool_size>` + limit + `
    <compression>
        <case>
            <min_part_size>16777216</min_part_size>
            <min_part_size_ratio>0</min_part_size_ratio>
            <method>zstd</method>
            <level>1</level>
        </case>
    </compression>
</clickhouse>
`
}

// writeEngineConfig writes config into the data dir, where the engine keeps
// its other files, and returns its path.
func writeEngineConfig(dataDir, config string) (string, error) {
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return "", fmt.Errorf("create data dir: %w", err)
	}
	file := filepath.Join(dataDir, "flowslo-engine.xml")
	if err := os.WriteFile(file, []byte(config), 0o644); err != nil {
		return "", fmt.Errorf("write engine config: %w", err)
	}
	return file, nil
}
