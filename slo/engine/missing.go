package engine

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/flowslo/flowslo/slo"
)

// MissingWarnShare is the share of an SLO's events lacking an attribute
// its filters read from which the SLO page warns: a filter comparing a
// missing attribute is false, so those events silently count as bad (or
// not at all), as a missing http.response.status_code does.
const MissingWarnShare = 0.1

// MissingAttribute is an attribute an SLO's filters read, and how many of
// the events it counts lack it.
type MissingAttribute struct {
	Attribute string  `json:"attribute"`
	Resource  bool    `json:"resource"` // a resource attribute
	Filter    string  `json:"filter"`   // total | good | bad
	Missing   uint64  `json:"missing"`
	Total     uint64  `json:"total"`
	Share     float64 `json:"share"`
	Warn      bool    `json:"warn"` // Share ≥ MissingWarnShare
}

// MissingAttributes counts, over name's events in [from, to) (raw rows),
// those lacking each attribute its filters read.
func (e *Engine) MissingAttributes(ctx context.Context, name string, from, to time.Time) ([]MissingAttribute, error) {
	s, err := e.rawCheck(name, from, to)
	if err != nil {
		return nil, err
	}
	out := readAttrs(s)
	if len(out) == 0 {
		return []MissingAttribute{}, nil
	}
	b := newParams("a")
	cols := []string{"count()"}
	for _, a := range out {
		m := attrColumn(s, a.Resource)
		cols = append(cols, fmt.Sprintf("countIf(NOT mapContains(%s, %s))", m, b.str(a.Attribute)))
	}
	q := fmt.Sprintf("SELECT %s FROM %s WHERE %s AND (%s)", strings.Join(cols, ", "), s.SLI.Table,
		timeRange(b, s.SLI.Table, from, to), prefixed(s.SLI.Total, "", b.p))
	rows, err := e.q.Query(ctx, q, b.p)
	if err != nil {
		return nil, fmt.Errorf("missing attributes of %s: %w", name, err)
	}
	defer rows.Close()
	counts := make([]uint64, len(out)+1)
	dest := make([]any, len(counts))
	for i := range counts {
		dest[i] = &counts[i]
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("missing attributes of %s: %w", name, err)
		}
	}
	for i := range out {
		out[i].Total, out[i].Missing = counts[0], counts[i+1]
		if counts[0] > 0 {
			out[i].Share = float64(counts[i+1]) / float64(counts[0])
		}
		out[i].Warn = out[i].Share >= MissingWarnShare
	}
	return out, rows.Err()
}

// readAttrs are the attributes s's filters read, each once, in the order
// total, good, bad.
func readAttrs(s *slo.SLO) []MissingAttribute {
	var out []MissingAttribute
	seen := map[string]bool{}
	for _, f := range []struct{ name, text string }{{"total", s.Indicator.Total}, {"good", s.Indicator.Good}, {"bad", s.Indicator.Bad}} {
		for _, m := range attrRef.FindAllStringSubmatch(f.text, -1) {
			k := m[1] + m[2]
			if seen[k] {
				continue
			}
			seen[k] = true
			out = append(out, MissingAttribute{Attribute: m[2], Resource: m[1] != "", Filter: f.name})
		}
	}
	return out
}

func attrColumn(s *slo.SLO, resource bool) string {
	switch {
	case resource:
		return "ResourceAttributes"
	case s.SLI.Table == "otel_logs":
		return "LogAttributes"
	}
	return "SpanAttributes"
}
