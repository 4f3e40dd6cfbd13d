package ui

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/flowslo/flowslo/slo"
	"github.com/flowslo/flowslo/slo/engine"
)

// FlowCard is one business flow on the overview, its SLOs worst first.
type FlowCard struct {
	Flow   string    `json:"flow"`
	Status string    `json:"status"` // the worst of its SLOs
	SLOs   []SLOCard `json:"slos"`
}

// SLOCard is one SLO on the overview with its 7-day SLI history and the
// share of its events failing now (over 5m and 1h), apart from the SLI
// over its whole window.
type SLOCard struct {
	engine.SLOStatus
	ErrorRate5m *float64       `json:"error_rate_5m"`
	ErrorRate1h *float64       `json:"error_rate_1h"`
	History     []HistoryPoint `json:"history"`
}

// The windows a flow card names: its error rates now over 5m and 1h, and
// its burn badges.
var (
	min5, hour  = slo.Duration(5 * time.Minute), slo.Duration(time.Hour)
	cardWindows = []slo.Duration{min5, hour, slo.Duration(6 * time.Hour), slo.Duration(24 * time.Hour), slo.Duration(72 * time.Hour)}
)

// HistoryPoint is the SLI over one step (nil without events).
type HistoryPoint struct {
	T   time.Time `json:"t"`
	SLI *float64  `json:"sli"`
}

// FlowsView is the overview: cards, and the filter's choices.
type FlowsView struct {
	Flows    []FlowCard `json:"flows"`
	AllFlows []string   `json:"all_flows"`
	Services []string   `json:"services"`
	Flow     string     `json:"flow,omitempty"`
	Service  string     `json:"service,omitempty"`
	Total    int        `json:"total_slos"`
	Burning  int        `json:"burning"`
	NoData   bool       `json:"no_data"` // no SLO has any event yet
	// HistoryError says why sparklines are missing, if they are.
	HistoryError string `json:"history_error,omitempty"`
	// LoadError is a refused reload of the SLO files: what is shown is
	// the last good set.
	LoadError *SLOLoadError `json:"slo_load_error,omitempty"`
}

// statusRank orders statuses worst first.
var statusRank = map[string]int{engine.StatusExhausted: 5, engine.StatusBurning: 4, engine.StatusBackfilling: 2, engine.StatusOK: 1, engine.StatusNoData: 0}

// History is 7 days of 3-hour steps.
const (
	historySpan = 7 * 24 * time.Hour
	historyStep = 3 * time.Hour
)

func (s *Server) flowsView(ctx context.Context, flow, service string) (FlowsView, error) {
	st, err := s.opts.SLOs.Status(ctx)
	if err != nil {
		return FlowsView{}, err
	}
	v := FlowsView{Flow: flow, Service: service, Flows: []FlowCard{}, NoData: true, LoadError: s.sloLoadError()}
	flows, services := map[string]bool{}, map[string]bool{}
	for _, x := range st {
		flows[x.Flow] = true
		if x.Service != "" {
			services[x.Service] = true
		}
		if x.Total > 0 {
			v.NoData = false
		}
	}
	v.AllFlows, v.Services = keys(flows), keys(services)
	hist, herr := s.history(ctx, time.Now())
	if herr != nil {
		v.HistoryError = s.hideCause(nil, "SLI history", herr)
	}
	byFlow := map[string]*FlowCard{}
	for _, x := range st {
		if (flow != "" && x.Flow != flow) || (service != "" && x.Service != service) {
			continue
		}
		v.Total++
		if x.Status == engine.StatusBurning || x.Status == engine.StatusExhausted {
			v.Burning++
		}
		f := byFlow[x.Flow]
		if f == nil {
			f = &FlowCard{Flow: x.Flow, Status: engine.StatusNoData}
			byFlow[x.Flow] = f
		}
		f.SLOs = append(f.SLOs, SLOCard{SLOStatus: x, ErrorRate5m: x.ErrorRate(min5), ErrorRate1h: x.ErrorRate(hour), History: hist[x.Name+"\x00"+x.Hash]})
		if statusRank[x.Status] > statusRank[f.Status] {
			f.Status = x.Status
		}
	}
	for _, f := range byFlow {
		sort.SliceStable(f.SLOs, func(i, j int) bool { return worse(f.SLOs[i].SLOStatus, f.SLOs[j].SLOStatus) })
		v.Flows = append(v.Flows, *f)
	}
	sort.SliceStable(v.Flows, func(i, j int) bool {
		a, b := v.Flows[i], v.Flows[j]
		if a.SLOs[0].SLOStatus.Name == b.SLOs[0].SLOStatus.Name {
			return a.Flow < b.Flow
		}
		if worse(a.SLOs[0].SLOStatus, b.SLOs[0].SLOStatus) != worse(b.SLOs[0].SLOStatus, a.SLOs[0].SLOStatus) {
			return worse(a.SLOs[0].SLOStatus, b.SLOs[0].SLOStatus)
		}
		return a.Flow < b.Flow
	})
	return v, nil
}

// worse orders SLOs worst first: by status, then by budget left, then name.
func worse(a, b engine.SLOStatus) bool {
	if ra, rb := statusRank[a.Status], statusRank[b.Status]; ra != rb {
		return ra > rb
	}
	ba, bb := budgetOr(a.ErrorBudgetRemaining), budgetOr(b.ErrorBudgetRemaining)
	if ba != bb {
		return ba < bb
	}
	return a.Name < b.Name
}

func budgetOr(f *float64) float64 {
	if f == nil {
		return math.Inf(1)
	}
	return *f
}

// history is every SLO definition's SLI per step over the last 7 days,
// keyed by name and hash; nil without Telemetry.
func (s *Server) history(ctx context.Context, now time.Time) (map[string][]HistoryPoint, error) {
	if s.opts.Telemetry == nil {
		return nil, nil
	}
	to := now.Truncate(historyStep).Add(historyStep)
	from := to.Add(-historySpan)
	hs, err := s.opts.Telemetry.SLIHistory(ctx, from, to, historyStep)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]HistoryPoint, len(hs))
	for _, h := range hs {
		pts := make([]HistoryPoint, 0, historySpan/historyStep)
		byT := make(map[int64]CountPoint, len(h.Points))
		for _, p := range h.Points {
			byT[p.T.Unix()] = p
		}
		for t := from; t.Before(to); t = t.Add(historyStep) {
			p := HistoryPoint{T: t}
			if c := byT[t.Unix()]; c.Total > 0 {
				sli := float64(c.Good) / float64(c.Total)
				p.SLI = &sli
			}
			pts = append(pts, p)
		}
		out[h.SLO+"\x00"+h.Hash] = pts
	}
	return out, nil
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Sparkline is an SLI history drawn as SVG in a 120×32 box: the line,
// and the objective as a dashed rule.
type Sparkline struct {
	Points     []string // "x,y" polyline runs, split at gaps
	ObjectiveY float64
	Low, High  string // the axis range, as percentages
	Empty      bool
}

func sparkline(h []HistoryPoint, objective float64) Sparkline {
	lo, hi := objective/100, 1.0
	n := 0
	for _, p := range h {
		if p.SLI != nil {
			lo = math.Min(lo, *p.SLI)
			n++
		}
	}
	if n == 0 {
		return Sparkline{Empty: true}
	}
	lo = math.Max(0, lo-(hi-lo)*0.1)
	if hi-lo < 1e-6 {
		lo = hi - 1e-3
	}
	y := func(v float64) float64 { return math.Round((2+28*(hi-v)/(hi-lo))*10) / 10 }
	sp := Sparkline{ObjectiveY: y(objective / 100), Low: pct(lo), High: pct(hi)}
	var run []string
	for i, p := range h {
		if p.SLI == nil {
			if len(run) > 0 {
				sp.Points = append(sp.Points, strings.Join(run, " "))
			}
			run = nil
			continue
		}
		x := 120 * float64(i) / float64(max(len(h)-1, 1))
		run = append(run, fmt.Sprintf("%.1f,%.1f", x, y(*p.SLI)))
		if len(run) == 1 && (i == len(h)-1 || h[i+1].SLI == nil) {
			run = append(run, fmt.Sprintf("%.1f,%.1f", x+1, y(*p.SLI))) // a lone point shows as a dash
		}
	}
	if len(run) > 0 {
		sp.Points = append(sp.Points, strings.Join(run, " "))
	}
	return sp
}

// WaterfallRow is one span placed on the trace's time line.
type WaterfallRow struct {
	Span
	Depth     int
	OffsetPct float64 // where the bar starts, 0…100 of the trace
	WidthPct  float64
	Error     bool
}

// Waterfall is a trace laid out for the page.
type Waterfall struct {
	Trace
	Rows       []WaterfallRow
	Start      time.Time
	DurationMs float64
	Services   []string
	Errors     int
	// FromSLO is the SLO whose example led here (?slo=), for the
	// breadcrumb; Match is the span that example was (?span=).
	FromSLO, Match string
}

// waterfall orders spans parent before children (siblings by start) and
// places each on the trace's time line.
func waterfall(t Trace) Waterfall {
	w := Waterfall{Trace: t}
	if len(t.Spans) == 0 {
		return w
	}
	start, end := t.Spans[0].Start, t.Spans[0].Start
	ids, children, services := map[string]bool{}, map[string][]Span{}, map[string]bool{}
	for _, s := range t.Spans {
		ids[s.SpanID] = true
		if s.Start.Before(start) {
			start = s.Start
		}
		if e := s.Start.Add(time.Duration(s.DurationMs * 1e6)); e.After(end) {
			end = e
		}
		services[s.Service] = true
	}
	for _, s := range t.Spans {
		parent := s.ParentSpanID
		if !ids[parent] {
			parent = "" // roots, and orphans whose parent is missing
		}
		children[parent] = append(children[parent], s)
	}
	w.Start, w.DurationMs, w.Services = start, float64(end.Sub(start))/1e6, keys(services)
	total := math.Max(w.DurationMs, 1e-3)
	var walk func(parent string, depth int)
	walk = func(parent string, depth int) {
		kids := children[parent]
		sort.SliceStable(kids, func(i, j int) bool { return kids[i].Start.Before(kids[j].Start) })
		for _, s := range kids {
			r := WaterfallRow{Span: s, Depth: min(depth, 12), Error: s.StatusCode == "Error",
				OffsetPct: 100 * float64(s.Start.Sub(start)) / 1e6 / total}
			r.WidthPct = math.Max(100*s.DurationMs/total, 0.3)
			if r.Error {
				w.Errors++
			}
			w.Rows = append(w.Rows, r)
			if s.SpanID != "" && s.SpanID != parent {
				walk(s.SpanID, depth+1)
			}
		}
	}
	walk("", 0)
	return w
}

// EndpointRow is one endpoint's RED with its share of all errors.
type EndpointRow struct {
	Endpoint
	RatePerS   float64 `json:"rate_per_s"`
	ErrorRatio float64 `json:"error_ratio"`
	ErrorShare float64 `json:"error_share"` // of all errors in the range
	// Top marks the few endpoints that together cause 80% of the errors.
	Top bool `json:"top"`
}

// ServicesView is the RED table over a range.
type ServicesView struct {
	Range     string        `json:"range"`
	From      time.Time     `json:"from"`
	To        time.Time     `json:"to"`
	Endpoints []EndpointRow `json:"endpoints"`
	Requests  uint64        `json:"requests"`
	Errors    uint64        `json:"errors"`
	TopCount  int           `json:"top_count"`
}

func serviceRange(key string) (string, time.Duration, error) {
	if key == "" {
		key = "1h"
	}
	if d, ok := lookupRange(key); ok && d <= 24*time.Hour {
		return canonicalRange(key), d, nil
	}
	return "", 0, badRequest("range %q: choose %s", key, rangeKeys(24*time.Hour))
}

func (s *Server) servicesView(ctx context.Context, rangeKey string) (ServicesView, error) {
	return s.endpointsView(ctx, rangeKey, "")
}

// endpointsView is the RED of every endpoint, or of one service's.
func (s *Server) endpointsView(ctx context.Context, rangeKey, service string) (ServicesView, error) {
	key, d, err := serviceRange(rangeKey)
	if err != nil {
		return ServicesView{}, err
	}
	if s.opts.Telemetry == nil {
		return ServicesView{}, unavailable("services need the telemetry store", nil)
	}
	to := time.Now()
	v := ServicesView{Range: key, From: to.Add(-d), To: to, Endpoints: []EndpointRow{}}
	eps, err := s.opts.Telemetry.Endpoints(ctx, v.From, v.To)
	if err != nil {
		return v, err
	}
	if service != "" {
		eps = slices.DeleteFunc(eps, func(e Endpoint) bool { return e.Service != service })
	}
	for _, e := range eps {
		v.Requests += e.Requests
		v.Errors += e.Errors
	}
	sort.SliceStable(eps, func(i, j int) bool {
		if eps[i].Errors != eps[j].Errors {
			return eps[i].Errors > eps[j].Errors
		}
		return eps[i].Requests > eps[j].Requests
	})
	var cum float64
	for _, e := range eps {
		r := EndpointRow{Endpoint: e, RatePerS: float64(e.Requests) / d.Seconds()}
		if e.Requests > 0 {
			r.ErrorRatio = float64(e.Errors) / float64(e.Requests)
		}
		if v.Errors > 0 && e.Errors > 0 {
			r.ErrorShare = float64(e.Errors) / float64(v.Errors)
			r.Top = cum < 0.8
			cum += r.ErrorShare
		}
		if r.Top {
			v.TopCount++
		}
		v.Endpoints = append(v.Endpoints, r)
	}
	return v, nil
}
