package chdb

import (
	"context"
	"errors"
	"fmt"
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

func engineConnect(l *lib, path string, settings []string) (*conn, error) {
	engine.Lock()
	defer engine.Unlock()
	if engine.conns > 0 && engine.path != path {
		return nil, fmt.Errorf("chdb already uses %s in this process (one data dir per process)", engine.path)
	}
	c, err := connect(l, append([]string{"--path=" + path}, settings...)...)
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
