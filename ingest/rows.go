package ingest

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/flowslo/flowslo/store"
)

// A journal entry starts with its kind: OTLP protobuf (any store), or rows
// already encoded for the store's insert (a store that offers it, the
// embedded one). Rows are converted and encoded once, when the request is
// checked, and the consumer only concatenates them: decoding each request
// a second time made the queue cost ~40% more CPU per span than inserting
// directly (BENCHMARKS.md).
const (
	entryOTLP byte = 1
	entryRows byte = 2
)

// otlpEntry is an OTLP entry being built: its kind byte, then an
// ExportTrace/LogsServiceRequest in protobuf. Requests merge by
// concatenation: both messages hold only a repeated field, and protobuf
// reads concatenated messages as one with the lists joined.
type otlpEntry struct{ b []byte }

// newOTLPEntry makes the entry of a request: its received protobuf body
// as it is (raw: nothing left out of it, not JSON), else marshal's.
func newOTLPEntry(body []byte, raw bool, marshal func() ([]byte, error)) (*otlpEntry, error) {
	if !raw {
		var err error
		if body, err = marshal(); err != nil {
			return nil, err
		}
	}
	b := make([]byte, 1, 1+len(body))
	b[0] = entryOTLP
	return &otlpEntry{b: append(b, body...)}, nil
}

// rowStore is a store that takes rows it encoded itself (store/chdb).
type rowStore interface {
	store.TokenInserter
	// RowsFormat names the encoding; rows of another format are not
	// inserted.
	RowsFormat() byte
	AppendSpanRow(b []byte, s *store.Span) []byte
	AppendLogRow(b []byte, l *store.LogRecord) []byte
	InsertSpanRowsOnce(ctx context.Context, token string, rows []byte) error
	InsertLogRowsOnce(ctx context.Context, token string, rows []byte) error
}

// rowBatch is encoded rows and each row's length: one or more requests'
// rows, merged by the coalescer, then one journal entry.
type rowBatch struct {
	lens []uint32
	body []byte
}

// appendRows encodes rows into r with appendRow.
func appendRows[T any](r *rowBatch, rows []T, appendRow func([]byte, *T) []byte) {
	for i := range rows {
		n := len(r.body)
		r.body = appendRow(r.body, &rows[i])
		r.lens = append(r.lens, uint32(len(r.body)-n))
	}
}

func (r *rowBatch) merge(src *rowBatch) {
	r.lens = append(r.lens, src.lens...)
	r.body = append(r.body, src.body...)
}

// entry is the journal entry of r: kind, format, row count, the rows'
// lengths (uvarints), the rows.
func (r *rowBatch) entry(format byte) []byte {
	b := make([]byte, 0, 2+binary.MaxVarintLen32*(len(r.lens)+1)+len(r.body))
	b = append(b, entryRows, format)
	b = binary.AppendUvarint(b, uint64(len(r.lens)))
	for _, n := range r.lens {
		b = binary.AppendUvarint(b, uint64(n))
	}
	return append(b, r.body...)
}

// errRowsFormat: the queue holds rows this flowslo does not encode so.
var errRowsFormat = errors.New("queued rows in an encoding this flowslo does not write")

// parseRows appends the rows of a rows entry (after its kind byte) to r.
func parseRows(r *rowBatch, payload []byte, format byte) error {
	if len(payload) < 1 || payload[0] != format {
		return fmt.Errorf("%w (format %v, this flowslo writes %d): drain the queue with the flowslo that wrote it", errRowsFormat, payload[:min(1, len(payload))], format)
	}
	p := payload[1:]
	count, k := binary.Uvarint(p)
	if k <= 0 || count > uint64(len(p)) {
		return errors.New("queued rows: bad row count")
	}
	p = p[k:]
	lens := make([]uint32, 0, count)
	var total uint64
	for range count {
		n, k := binary.Uvarint(p)
		if k <= 0 || n > uint64(len(payload)) {
			return errors.New("queued rows: bad row length")
		}
		p = p[k:]
		lens = append(lens, uint32(n))
		total += n
	}
	if total != uint64(len(p)) {
		return fmt.Errorf("queued rows: %d bytes of rows, lengths say %d", len(p), total)
	}
	r.lens = append(r.lens, lens...)
	r.body = append(r.body, p...)
	return nil
}

// rowRanges inserts rows [lo, hi) of r with insert: for push, which splits
// a group the store refuses as bad data by rows.
func (r *rowBatch) rowRanges(insert func(ctx context.Context, token string, rows []byte) error) insertRange {
	offsets := make([]int, len(r.lens)+1)
	for i, n := range r.lens {
		offsets[i+1] = offsets[i] + int(n)
	}
	return func(ctx context.Context, token string, lo, hi int) (int, error) {
		if hi <= lo {
			return 0, nil
		}
		return hi - lo, insert(ctx, token, r.body[offsets[lo]:offsets[hi]])
	}
}
