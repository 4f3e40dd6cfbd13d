package chdb

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"unsafe"

	"github.com/flowslo/flowslo/store/internal/param"
)

// conn is one chDB connection. chDB runs one statement at a time per
// connection, so every call holds mu; parallelism comes from more conns.
type conn struct {
	mu  sync.Mutex
	l   *lib
	ptr unsafe.Pointer // chdb_connection*, as chdb_connect returned it
}

func connect(l *lib, args ...string) (*conn, error) {
	argv := append([]string{"flowslo"}, args...)
	cstrs := make([][]byte, len(argv))
	ptrs := make([]unsafe.Pointer, len(argv)+1)
	for i, a := range argv {
		cstrs[i] = append([]byte(a), 0)
		ptrs[i] = unsafe.Pointer(&cstrs[i][0])
	}
	p := l.connect(int32(len(argv)), unsafe.Pointer(&ptrs[0]))
	runtime.KeepAlive(cstrs)
	runtime.KeepAlive(ptrs)
	if p == nil || *(*uintptr)(p) == 0 {
		return nil, errors.New("chdb_connect refused (is the data dir used by another process?)")
	}
	return &conn{l: l, ptr: p}, nil
}

func (c *conn) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ptr != nil {
		c.l.closeConn(c.ptr)
		c.ptr = nil
	}
}

// result is what a statement returned, copied out of chDB's buffer.
type result struct {
	data    []byte
	written uint64
}

// query runs one statement. params bind {name:Type} placeholders in the
// engine; values are escaped here for their types (param.ForQuery).
func (c *conn) query(q, format string, params map[string]string) (result, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ptr == nil {
		return result{}, errors.New("connection closed")
	}
	h := *(*uintptr)(c.ptr)
	var res uintptr
	if len(params) == 0 {
		res = c.l.queryN(h, strPtr(q), uintptr(len(q)), strPtr(format), uintptr(len(format)))
	} else {
		res = c.queryParams(h, q, format, params)
	}
	runtime.KeepAlive(q)
	runtime.KeepAlive(format)
	return c.take(res)
}

func (c *conn) queryParams(h uintptr, q, format string, params map[string]string) uintptr {
	n := len(params)
	names := make([]unsafe.Pointer, 0, n)
	nameLens := make([]uintptr, 0, n)
	values := make([]unsafe.Pointer, 0, n)
	valueLens := make([]uintptr, 0, n)
	keep := make([]string, 0, 2*n)
	for k, ev := range param.ForQuery(q, params) {
		keep = append(keep, k, ev)
		names, nameLens = append(names, strPtr(k)), append(nameLens, uintptr(len(k)))
		values, valueLens = append(values, strPtr(ev)), append(valueLens, uintptr(len(ev)))
	}
	res := c.l.queryParamsN(h, strPtr(q), uintptr(len(q)), strPtr(format), uintptr(len(format)),
		unsafe.Pointer(&names[0]), unsafe.Pointer(&nameLens[0]),
		unsafe.Pointer(&values[0]), unsafe.Pointer(&valueLens[0]), uintptr(n))
	runtime.KeepAlive(keep)
	runtime.KeepAlive(names)
	runtime.KeepAlive(values)
	runtime.KeepAlive(nameLens)
	runtime.KeepAlive(valueLens)
	return res
}

// insert streams data into an INSERT statement without FORMAT clause. The
// data never passes through the SQL parser: inline data after FORMAT in a
// chdb_query_n call was cut short for some RowBinary payloads (see
// TestInsertBinaryPayloads), so the query and the rows travel apart.
func (c *conn) insert(q, format string, data []byte) (uint64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ptr == nil {
		return 0, errors.New("connection closed")
	}
	st := c.l.streamInsertN(*(*uintptr)(c.ptr), strPtr(q), uintptr(len(q)), strPtr(format), uintptr(len(format)))
	runtime.KeepAlive(q)
	runtime.KeepAlive(format)
	if st == 0 {
		return 0, errors.New("chdb_stream_insert returned no stream")
	}
	defer c.l.destroyStream(st)
	if err := c.streamErr(st); err != nil {
		return 0, err
	}
	if len(data) > 0 && c.l.streamAppend(st, unsafe.Pointer(unsafe.SliceData(data)), uintptr(len(data))) != 0 {
		runtime.KeepAlive(data)
		if err := c.streamErr(st); err != nil {
			return 0, err
		}
		return 0, errors.New("chdb_stream_append failed")
	}
	runtime.KeepAlive(data)
	res, err := c.take(c.l.streamDone(st))
	return res.written, err
}

func (c *conn) streamErr(st uintptr) error {
	if e := c.l.streamError(st); e != nil {
		if msg := goString(e); msg != "" {
			return errors.New(msg)
		}
	}
	return nil
}

// take copies the result out and frees it.
func (c *conn) take(res uintptr) (result, error) {
	if res == 0 {
		return result{}, errors.New("chdb returned no result")
	}
	defer c.l.destroyResult(res)
	if e := c.l.resultError(res); e != nil {
		if msg := goString(e); msg != "" {
			return result{}, errors.New(msg)
		}
	}
	out := result{written: c.l.resultWritten(res)}
	if n := c.l.resultLength(res); n > 0 {
		out.data = make([]byte, n)
		copy(out.data, unsafe.Slice((*byte)(c.l.resultBuffer(res)), n))
	}
	return out, nil
}

// strPtr points at a string's bytes; chDB's _n calls take lengths, so no NUL
// is needed. An empty string gets a valid one-byte buffer.
func strPtr(s string) unsafe.Pointer {
	if s == "" {
		return unsafe.Pointer(&zeroByte)
	}
	return unsafe.Pointer(unsafe.StringData(s))
}

var zeroByte byte

func goString(p unsafe.Pointer) string {
	n := 0
	for *(*byte)(unsafe.Add(p, n)) != 0 {
		n++
	}
	return string(unsafe.Slice((*byte)(p), n))
}

func wrapQuery(err error, q string) error {
	if len(q) > 200 {
		q = q[:200] + "…"
	}
	return fmt.Errorf("chdb: %w (query: %s)", err, q)
}
