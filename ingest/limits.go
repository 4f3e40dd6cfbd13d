package ingest

import (
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Limits bound what one span or log record may carry, the way the OTel
// SDK's span limits do: attributes beyond the count are dropped (and
// counted), longer values are truncated.
type Limits struct {
	// AttributeCount is the most attributes kept per span, span event,
	// span link, log record, resource and scope; default 128, as the SDKs.
	// (Resource and scope attributes are copied into every row.)
	AttributeCount int
	// ValueLength is the most bytes kept of an attribute value (values
	// are stored as strings); default 8 KiB. Truncation keeps whole
	// UTF-8 characters.
	ValueLength int
}

// droppedKey is the attribute that records how many attributes the SDK and
// flowslo dropped: the contrib exporter's schema has no
// dropped_attributes_count column, and the count must not be lost.
const droppedKey = "otel.dropped_attributes_count"

// lookahead is how far in the future a timestamp may be: clocks of phones
// and hosts drift, but a span from next week is a bug, not data.
const lookahead = time.Hour

// conversion is the state of turning one request into rows: the limits, the
// time window it must fall in, and what was dropped on the way.
type conversion struct {
	lim              Limits
	signal           string        // "traces", "logs": whose retention
	retention        time.Duration // that signal's
	minTime, maxTime pcommon.Timestamp
	rejected         int64 // items refused: outside the window, or badEnd
	badEnd           int64 // spans ending before they start or beyond the window
	droppedAttrs     int64 // attributes over the count limit
}

// newConversion admits timestamps in [now − retention, now + lookahead],
// retention being signal's: the table's TTL would delete older rows at its
// next merge, after the client was told they were stored.
func newConversion(lim Limits, signal string, retention time.Duration, now time.Time) *conversion {
	return &conversion{
		lim:       lim,
		signal:    signal,
		retention: retention,
		minTime:   pcommon.NewTimestampFromTime(now.Add(-retention)),
		maxTime:   pcommon.NewTimestampFromTime(now.Add(lookahead)),
	}
}

func (c *conversion) inWindow(ts pcommon.Timestamp) bool {
	return ts >= c.minTime && ts <= c.maxTime
}

// validEnd says whether a span's end is a time it can have ended at: not
// before its start (a zero or garbled end would count as a 0 ms, fast
// event) and not beyond the window's future bound.
func (c *conversion) validEnd(start, end pcommon.Timestamp) bool {
	return end >= start && end <= c.maxTime
}

// rangeMessage is the partial-success message for rejected items.
func (c *conversion) rangeMessage(what string) string {
	if c.rejected == 0 {
		return ""
	}
	if c.badEnd > 0 {
		msg := fmt.Sprintf("%d %s refused: end time before the start time or more than %v ahead of the server's clock (send the span's real end)", c.badEnd, what, lookahead)
		if c.badEnd == c.rejected {
			return msg
		}
		return msg + "; " + c.outsideMessage(c.rejected-c.badEnd, what)
	}
	return c.outsideMessage(c.rejected, what)
}

// outsideMessage names the signal's accepted range and the retention it
// comes from, which can differ between traces and logs.
func (c *conversion) outsideMessage(n int64, what string) string {
	return fmt.Sprintf("%d %s refused: timestamp outside the accepted range for %s [%s, %s] (%s retention %s, and at most %v ahead of the server's clock)",
		n, what, c.signal, c.minTime.AsTime().UTC().Format(time.RFC3339), c.maxTime.AsTime().UTC().Format(time.RFC3339),
		c.signal, days(c.retention), lookahead)
}

// days writes a retention as the config does: 14d, or 36h.
func days(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	return d.String()
}

// attrs flattens attributes with AsString, as the contrib exporter does
// for its Map(LowCardinality(String), String) columns, keeping at most
// AttributeCount of them when count is set. dropped is what the sender
// already dropped. Empty maps stay nil to save an allocation per row.
func (c *conversion) attrs(m pcommon.Map, dropped uint32, count bool) map[string]string {
	n := m.Len()
	if count && n > c.lim.AttributeCount {
		c.droppedAttrs += int64(n - c.lim.AttributeCount)
		dropped += uint32(n - c.lim.AttributeCount)
		n = c.lim.AttributeCount
	}
	if n == 0 && dropped == 0 {
		return nil
	}
	out := make(map[string]string, n+1)
	for k, v := range m.All() {
		if len(out) == n {
			break
		}
		out[c.str(k)] = c.str(v.AsString())
	}
	if dropped > 0 {
		out[droppedKey] = strconv.FormatUint(uint64(dropped), 10)
	}
	return out
}

// str truncates s to ValueLength bytes on a character boundary.
func (c *conversion) str(s string) string {
	if len(s) <= c.lim.ValueLength {
		return s
	}
	cut := c.lim.ValueLength
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

// maxCopiedBytes bounds the bytes of resource and scope attributes one
// request copies into its rows: every row carries its resource's and
// scope's attributes, so a request of 1 MiB (a resource of 128 values of
// 8 KiB and 300 tiny spans) made 300 MiB of rows and took 2 GB of memory
// (the rows encoded, queued, read back and inserted hold ~10 times their
// size at the peak), and a few such requests took the server down. 64 MiB
// leaves room for a collector's batch of 8192 spans under 8 KiB of
// resource attributes. A var for tests.
var maxCopiedBytes int64 = 64 << 20

// errCopied refuses a request whose rows would copy its resource and
// scope attributes beyond maxCopiedBytes.
type errCopied struct{ copied, items int64 }

func (e errCopied) Error() string {
	return fmt.Sprintf("its %d items would copy at least %d MiB of resource and scope attributes into their rows, over the limit of %d MiB: send fewer items per request (the SDKs' default batch is 512) or smaller resource attributes",
		e.items, e.copied/mib, maxCopiedBytes/mib)
}

// checkCopied says whether items sharing attributes of attrBytes each, as
// counted so far into *copied, stay within maxCopiedBytes.
func checkCopied(copied *int64, attrBytes int64, items int) bool {
	*copied += attrBytes * int64(items)
	return *copied <= maxCopiedBytes
}

// attrBytes is about what m's attributes take in a row: keys and values
// as text (a value over ValueLength is cut later; counted whole here,
// before any limit, since it is bounded by the request's size anyway).
func attrBytes(m pcommon.Map) int64 {
	var n int64
	for k, v := range m.All() {
		n += int64(len(k))
		if v.Type() == pcommon.ValueTypeStr {
			n += int64(len(v.Str()))
		} else {
			n += int64(len(v.AsString()))
		}
	}
	return n
}

// copiedTraces checks td against maxCopiedBytes.
func copiedTraces(td ptrace.Traces) error {
	var copied int64
	for _, rs := range td.ResourceSpans().All() {
		res := attrBytes(rs.Resource().Attributes()) + int64(len(rs.SchemaUrl()))
		for _, ss := range rs.ScopeSpans().All() {
			sc := attrBytes(ss.Scope().Attributes()) + int64(len(ss.Scope().Name())+len(ss.Scope().Version()))
			if !checkCopied(&copied, res+sc, ss.Spans().Len()) {
				return errCopied{copied, int64(td.SpanCount())}
			}
		}
	}
	return nil
}

// copiedLogs checks ld against maxCopiedBytes.
func copiedLogs(ld plog.Logs) error {
	var copied int64
	for _, rl := range ld.ResourceLogs().All() {
		res := attrBytes(rl.Resource().Attributes()) + int64(len(rl.SchemaUrl()))
		for _, sl := range rl.ScopeLogs().All() {
			sc := attrBytes(sl.Scope().Attributes()) + int64(len(sl.Scope().Name())+len(sl.Scope().Version())+len(sl.SchemaUrl()))
			if !checkCopied(&copied, res+sc, sl.LogRecords().Len()) {
				return errCopied{copied, int64(ld.LogRecordCount())}
			}
		}
	}
	return nil
}
