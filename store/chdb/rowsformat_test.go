package chdb

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/flowslo/flowslo/store"
)

// rowsFormats pins each RowsFormat to a digest of what it means: the
// columns, the row structs' fields and the bytes of a sample row. Rows
// queued by one flowslo are inserted by the next one (the persistent
// queue keeps them across upgrades); if the encoding changed under the
// same RowsFormat, old rows would be inserted as garbage.
var rowsFormats = map[byte]string{
	1: "7a4681bc092e1ab3",
}

// TestRowsFormatPinned fails when the rows encoding changes while
// RowsFormat stays: bump RowsFormat, and pin the new digest here.
func TestRowsFormatPinned(t *testing.T) {
	at := time.Date(2026, 12, 1, 10, 0, 0, 123456789, time.UTC)
	one := map[string]string{"k": "v"}
	span := store.Span{Timestamp: at, TraceID: "0102", SpanID: "03", ParentSpanID: "04", TraceState: "a=b", SpanName: "op",
		SpanKind: "Server", ServiceName: "svc", ResourceAttributes: one, ScopeName: "sc", ScopeVersion: "1", SpanAttributes: one,
		Duration: 1500 * time.Microsecond, StatusCode: "Error", StatusMessage: "m",
		Events: []store.SpanEvent{{Timestamp: at, Name: "e", Attributes: one}},
		Links:  []store.SpanLink{{TraceID: "05", SpanID: "06", TraceState: "c=d", Attributes: one}}}
	log := store.LogRecord{Timestamp: at, ObservedTimestamp: at.Add(time.Second), TraceID: "0102", SpanID: "03", TraceFlags: 1,
		SeverityText: "WARN", SeverityNumber: 13, ServiceName: "svc", Body: "b", ResourceSchemaURL: "r", ResourceAttributes: one,
		ScopeSchemaURL: "s", ScopeName: "sc", ScopeVersion: "1", ScopeAttributes: one, LogAttributes: one, EventName: "ev"}
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n%#v\n%#v\n", strings.Join(store.SpanColumns, ","), strings.Join(store.LogColumns, ","), store.Span{}, store.LogRecord{})
	h.Write(appendSpan(nil, &span))
	h.Write(appendLog(nil, &log))
	got := hex.EncodeToString(h.Sum(nil))[:16]
	if want := rowsFormats[RowsFormat]; got != want {
		t.Fatalf("rows encoding digest %s, pinned for RowsFormat %d: %s. The encoding changed: bump RowsFormat (rows queued by the last flowslo must not be inserted as these), and pin %s for it", got, RowsFormat, want, got)
	}
}
