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

// spansToRows appends one row per span of td to rows and returns it, with
// the limits applied: spans outside the time window are left out and
// counted in c.rejected.
//
// Rows of one resource share its attribute map, and rows of one scope share
// its name and version strings: the rows are read-only once built, and the
// sharing saves a map per span on the hot path.
func spansToRows(rows []store.Span, td ptrace.Traces, c *conversion) []store.Span {
	return spanRange(rows, td.ResourceSpans(), 0, td.ResourceSpans().Len(), c)
}

// spanRange is spansToRows over the resources [lo, hi) of rss.
func spanRange(rows []store.Span, rss ptrace.ResourceSpansSlice, lo, hi int, c *conversion) []store.Span {
	for i := lo; i < hi; i++ {
		rs := rss.At(i)
		res := c.resourceRow(rs.Resource())
		sss := rs.ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			ss := sss.At(j)
			scopeName, scopeVersion := c.str(ss.Scope().Name()), c.str(ss.Scope().Version())
			spans := ss.Spans()
			for k := 0; k < spans.Len(); k++ {
				s := spans.At(k)
				if !c.inWindow(s.StartTimestamp()) {
					c.rejected++
					continue
				}
				if !c.validEnd(s.StartTimestamp(), s.EndTimestamp()) {
					c.rejected++
					c.badEnd++
					continue
				}
				row := c.spanRow(s, res)
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

func (c *conversion) resourceRow(r pcommon.Resource) resourceRow {
	attrs := r.Attributes()
	var name string
	if v, ok := attrs.Get(serviceNameKey); ok {
		name = c.str(v.AsString())
	}
	return resourceRow{serviceName: name, attrs: c.attrs(attrs, 0, true)}
}

func (c *conversion) spanRow(s ptrace.Span, res resourceRow) store.Span {
	start := s.StartTimestamp()
	status := s.Status()
	return store.Span{
		Timestamp:          start.AsTime(),
		TraceID:            traceIDHex(s.TraceID()),
		SpanID:             spanIDHex(s.SpanID()),
		ParentSpanID:       spanIDHex(s.ParentSpanID()),
		TraceState:         c.str(s.TraceState().AsRaw()),
		SpanName:           c.str(s.Name()),
		SpanKind:           spanKind(s.Kind()),
		ServiceName:        res.serviceName,
		ResourceAttributes: res.attrs,
		SpanAttributes:     c.attrs(s.Attributes(), s.DroppedAttributesCount(), true),
		Duration:           time.Duration(s.EndTimestamp() - start),
		StatusCode:         statusCode(status.Code()),
		StatusMessage:      c.str(status.Message()),
		Events:             c.events(s.Events()),
		Links:              c.links(s.Links()),
	}
}

func (c *conversion) events(evs ptrace.SpanEventSlice) []store.SpanEvent {
	if evs.Len() == 0 {
		return nil
	}
	out := make([]store.SpanEvent, evs.Len())
	for i := range out {
		e := evs.At(i)
		out[i] = store.SpanEvent{Timestamp: e.Timestamp().AsTime(), Name: c.str(e.Name()),
			Attributes: c.attrs(e.Attributes(), e.DroppedAttributesCount(), true)}
	}
	return out
}

func (c *conversion) links(ls ptrace.SpanLinkSlice) []store.SpanLink {
	if ls.Len() == 0 {
		return nil
	}
	out := make([]store.SpanLink, ls.Len())
	for i := range out {
		l := ls.At(i)
		out[i] = store.SpanLink{
			TraceID:    traceIDHex(l.TraceID()),
			SpanID:     spanIDHex(l.SpanID()),
			TraceState: c.str(l.TraceState().AsRaw()),
			Attributes: c.attrs(l.Attributes(), l.DroppedAttributesCount(), true),
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
// with the limits and sharing of spansToRows.
func logsToRows(rows []store.LogRecord, ld plog.Logs, c *conversion) []store.LogRecord {
	return logRange(rows, ld.ResourceLogs(), 0, ld.ResourceLogs().Len(), c)
}

// logRange is logsToRows over the resources [lo, hi) of rls.
func logRange(rows []store.LogRecord, rls plog.ResourceLogsSlice, lo, hi int, c *conversion) []store.LogRecord {
	for i := lo; i < hi; i++ {
		rl := rls.At(i)
		res := c.resourceRow(rl.Resource())
		sls := rl.ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			sl := sls.At(j)
			scope := scopeRow{
				schemaURL: sl.SchemaUrl(),
				name:      c.str(sl.Scope().Name()),
				version:   c.str(sl.Scope().Version()),
				attrs:     c.attrs(sl.Scope().Attributes(), 0, true),
			}
			lrs := sl.LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				lr := lrs.At(k)
				if !c.inWindow(logTime(lr)) {
					c.rejected++
					continue
				}
				row := c.logRow(lr, res, scope)
				row.ResourceSchemaURL = rl.SchemaUrl()
				rows = append(rows, row)
			}
		}
	}
	return rows
}

// logTime is the time a log row is stored and expires by: the contrib
// exporter falls back to the observed time, so rows never carry the 1970
// epoch for SDKs that only set the latter.
func logTime(r plog.LogRecord) pcommon.Timestamp {
	if ts := r.Timestamp(); ts != 0 {
		return ts
	}
	return r.ObservedTimestamp()
}

// scopeRow holds what every log row of one scope shares.
type scopeRow struct {
	schemaURL, name, version string
	attrs                    map[string]string
}

func (c *conversion) logRow(r plog.LogRecord, res resourceRow, scope scopeRow) store.LogRecord {
	return store.LogRecord{
		Timestamp:          logTime(r).AsTime(),
		ObservedTimestamp:  r.ObservedTimestamp().AsTime(),
		TraceID:            traceIDHex(r.TraceID()),
		SpanID:             spanIDHex(r.SpanID()),
		TraceFlags:         uint8(r.Flags()),
		SeverityText:       c.str(r.SeverityText()),
		SeverityNumber:     uint8(r.SeverityNumber()),
		ServiceName:        res.serviceName,
		Body:               r.Body().AsString(),
		ResourceAttributes: res.attrs,
		ScopeSchemaURL:     scope.schemaURL,
		ScopeName:          scope.name,
		ScopeVersion:       scope.version,
		ScopeAttributes:    scope.attrs,
		LogAttributes:      c.attrs(r.Attributes(), r.DroppedAttributesCount(), true),
		EventName:          c.str(r.EventName()),
	}
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
