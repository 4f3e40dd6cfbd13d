package ingest

import (
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/pcommon"
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
