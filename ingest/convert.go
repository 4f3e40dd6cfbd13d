package ingest

import (
	"encoding/hex"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/flowslo/flowslo/store"
)

// serviceNameKey is the resource attribute the contrib exporter reads into
// the ServiceName column.
const serviceNameKey = "service.name"

// spansToRows appends one row per span of td to rows and returns it.
//
// Rows of one resource share its attribute map, and rows of one scope share
// its name and version strings: the rows are read-only once built, and the
// sharing saves a map per span on the hot path.
func spansToRows(rows []store.Span, td ptrace.Traces) []store.Span {
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		res := newResourceRow(rs.Resource())
		sss := rs.ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			ss := sss.At(j)
			scopeName, scopeVersion := ss.Scope().Name(), ss.Scope().Version()
			spans := ss.Spans()
			for k := 0; k < spans.Len(); k++ {
				row := spanRow(spans.At(k), res)
				row.ScopeName, row.ScopeVersion = scopeName, scopeVersion
				rows = append(rows, row)
			}
		}
	}
	return rows
}

// resourceRow holds what every row of one resource shares.
type resourceRow struct {
	serviceName string
	attrs       map[string]string
}

func newResourceRow(r pcommon.Resource) resourceRow {
	attrs := r.Attributes()
	var name string
	if v, ok := attrs.Get(serviceNameKey); ok {
		name = v.AsString()
	}
	return resourceRow{serviceName: name, attrs: attrMap(attrs)}
}

func spanRow(s ptrace.Span, res resourceRow) store.Span {
	start := s.StartTimestamp()
	status := s.Status()
	return store.Span{
		Timestamp:          start.AsTime(),
		TraceID:            traceIDHex(s.TraceID()),
		SpanID:             spanIDHex(s.SpanID()),
		ParentSpanID:       spanIDHex(s.ParentSpanID()),
		TraceState:         s.TraceState().AsRaw(),
		SpanName:           s.Name(),
		SpanKind:           spanKind(s.Kind()),
		ServiceName:        res.serviceName,
		ResourceAttributes: res.attrs,
		SpanAttributes:     attrMap(s.Attributes()),
		Duration:           time.Duration(s.EndTimestamp() - start),
		StatusCode:         statusCode(status.Code()),
		StatusMessage:      status.Message(),
		Events:             events(s.Events()),
		Links:              links(s.Links()),
	}
}

func events(evs ptrace.SpanEventSlice) []store.SpanEvent {
	if evs.Len() == 0 {
		return nil
	}
	out := make([]store.SpanEvent, evs.Len())
	for i := range out {
		e := evs.At(i)
		out[i] = store.SpanEvent{Timestamp: e.Timestamp().AsTime(), Name: e.Name(), Attributes: attrMap(e.Attributes())}
	}
	return out
}

func links(ls ptrace.SpanLinkSlice) []store.SpanLink {
	if ls.Len() == 0 {
		return nil
	}
	out := make([]store.SpanLink, ls.Len())
	for i := range out {
		l := ls.At(i)
		out[i] = store.SpanLink{
			TraceID:    traceIDHex(l.TraceID()),
			SpanID:     spanIDHex(l.SpanID()),
			TraceState: l.TraceState().AsRaw(),
			Attributes: attrMap(l.Attributes()),
		}
	}
	return out
}

// spanKind names kinds as the contrib exporter does ("Server", "Client", …);
// pdata's String gives exactly those names for the defined kinds.
func spanKind(k ptrace.SpanKind) string {
	switch k {
	case ptrace.SpanKindInternal:
		return "Internal"
	case ptrace.SpanKindServer:
		return "Server"
	case ptrace.SpanKindClient:
		return "Client"
	case ptrace.SpanKindProducer:
		return "Producer"
	case ptrace.SpanKindConsumer:
		return "Consumer"
	default:
		return "Unspecified"
	}
}

func statusCode(c ptrace.StatusCode) string {
	switch c {
	case ptrace.StatusCodeOk:
		return "Ok"
	case ptrace.StatusCodeError:
		return "Error"
	default:
		return "Unset"
	}
}

// logsToRows appends one row per log record of ld to rows and returns it,
// sharing per-resource and per-scope values as spansToRows does.
func logsToRows(rows []store.LogRecord, ld plog.Logs) []store.LogRecord {
	rls := ld.ResourceLogs()
	for i := 0; i < rls.Len(); i++ {
		rl := rls.At(i)
		res := newResourceRow(rl.Resource())
		sls := rl.ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			sl := sls.At(j)
			scope := scopeRow{
				schemaURL: sl.SchemaUrl(),
				name:      sl.Scope().Name(),
				version:   sl.Scope().Version(),
				attrs:     attrMap(sl.Scope().Attributes()),
			}
			lrs := sl.LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				row := logRow(lrs.At(k), res, scope)
				row.ResourceSchemaURL = rl.SchemaUrl()
				rows = append(rows, row)
			}
		}
	}
	return rows
}

// scopeRow holds what every log row of one scope shares.
type scopeRow struct {
	schemaURL, name, version string
	attrs                    map[string]string
}

func logRow(r plog.LogRecord, res resourceRow, scope scopeRow) store.LogRecord {
	ts := r.Timestamp()
	if ts == 0 {
		// The contrib exporter falls back to the observed time, so rows
		// never carry the 1970 epoch for SDKs that only set the latter.
		ts = r.ObservedTimestamp()
	}
	return store.LogRecord{
		Timestamp:          ts.AsTime(),
		ObservedTimestamp:  r.ObservedTimestamp().AsTime(),
		TraceID:            traceIDHex(r.TraceID()),
		SpanID:             spanIDHex(r.SpanID()),
		TraceFlags:         uint8(r.Flags()),
		SeverityText:       r.SeverityText(),
		SeverityNumber:     uint8(r.SeverityNumber()),
		ServiceName:        res.serviceName,
		Body:               r.Body().AsString(),
		ResourceAttributes: res.attrs,
		ScopeSchemaURL:     scope.schemaURL,
		ScopeName:          scope.name,
		ScopeVersion:       scope.version,
		ScopeAttributes:    scope.attrs,
		LogAttributes:      attrMap(r.Attributes()),
		EventName:          r.EventName(),
	}
}

// attrMap flattens attributes with AsString, as the contrib exporter does
// for its Map(LowCardinality(String), String) columns. Empty maps stay nil
// to save an allocation per row.
func attrMap(m pcommon.Map) map[string]string {
	if m.Len() == 0 {
		return nil
	}
	out := make(map[string]string, m.Len())
	for k, v := range m.All() {
		out[k] = v.AsString()
	}
	return out
}

// traceIDHex encodes through a stack buffer so the only allocation is the
// string itself; the empty ID becomes "" as in the contrib exporter.
func traceIDHex(id pcommon.TraceID) string {
	if id.IsEmpty() {
		return ""
	}
	var buf [32]byte
	hex.Encode(buf[:], id[:])
	return string(buf[:])
}

func spanIDHex(id pcommon.SpanID) string {
	if id.IsEmpty() {
		return ""
	}
	var buf [16]byte
	hex.Encode(buf[:], id[:])
	return string(buf[:])
}
