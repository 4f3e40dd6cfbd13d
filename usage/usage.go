package usage

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"math/bits"
	"slices"
	"time"

	"github.com/flowslo/flowslo/slo"
	"github.com/flowslo/flowslo/store"
)

// Querier runs a read; store.Store satisfies it.
type Querier interface {
	Query(ctx context.Context, query string, params store.Params) (store.Rows, error)
}

// Options say where the telemetry is and what reads it.
type Options struct {
	// DataTables name the tables whose parts hold each signal's rows
	// ("traces", "logs"): otel_traces, or otel_traces_local on a cluster.
	DataTables map[string]string
	// Parts is the table of parts: system.parts, or on a cluster
	// cluster('<name>', system.parts) (one replica of every shard).
	Parts string
	// RetentionDays is the configured TTL of spans and logs.
	RetentionDays int
	// TracesRetentionDays and LogsRetentionDays, when set, are one
	// signal's TTL instead of RetentionDays.
	TracesRetentionDays, LogsRetentionDays int
	// SLOs are the loaded definitions; nil means none.
	SLOs func() []*slo.SLO
	// Clock is the current time; default time.Now.
	Clock func() time.Time
}

// Report is the answer of GET /api/v1/usage.
type Report struct {
	Services      []Service `json:"services"`
	Days          []Day     `json:"days"`
	Retention     Retention `json:"retention"`
	Growth        Growth    `json:"growth"`
	TotalBytes    uint64    `json:"total_bytes"`
	TotalRawBytes uint64    `json:"total_raw_bytes"`
	TotalSpans    uint64    `json:"total_spans"`
	TotalLogs     uint64    `json:"total_logs"`
	// SamplingCandidates are services no SLO reads, largest share first,
	// that hold at least MinCandidateShare of the bytes.
	SamplingCandidates []Candidate `json:"sampling_candidates"`
}

// Service is one service's usage.
type Service struct {
	Service    string   `json:"service"`
	Spans      uint64   `json:"spans"`
	Logs       uint64   `json:"logs"`
	Bytes      uint64   `json:"bytes"`
	RawBytes   uint64   `json:"raw_bytes"`
	Share      float64  `json:"share"` // of TotalBytes
	Days       []Day    `json:"days"`
	ReadBySLOs []string `json:"read_by_slos"`
}

// Day is one day (UTC) of a service or of the whole store.
type Day struct {
	Day      string `json:"day"` // 2026-12-01
	Spans    uint64 `json:"spans"`
	Logs     uint64 `json:"logs"`
	Bytes    uint64 `json:"bytes"`
	RawBytes uint64 `json:"raw_bytes"`
}

// Retention is what the configured TTLs keep and what others would: for
// each signal on its own (retention_traces, retention_logs), and for both
// set to one value (Options).
type Retention struct {
	TracesDays int             `json:"traces_days"`
	LogsDays   int             `json:"logs_days"`
	KeptBytes  uint64          `json:"kept_bytes"`
	Traces     SignalRetention `json:"traces"`
	Logs       SignalRetention `json:"logs"`
	// Options set both signals to Days; Traces.Options and Logs.Options
	// price the same days in the same order.
	Options []Change `json:"options"`
}

// SignalRetention is one signal's TTL, what it keeps and what other
// TTLs of that signal alone would.
type SignalRetention struct {
	Days      int      `json:"days"`
	KeptBytes uint64   `json:"kept_bytes"`
	Options   []Change `json:"options"`
}

// Change is another retention: the bytes it would keep once in force,
// and how many it saves (negative: costs) against today.
type Change struct {
	Days       int    `json:"days"`
	Bytes      uint64 `json:"bytes"`
	SavesBytes int64  `json:"saves_bytes"`
}

// Growth is the bytes a day adds, over the last 30 days.
type Growth struct {
	Days        int    `json:"days"`          // days with data among the last 30
	BytesPerDay uint64 `json:"bytes_per_day"` // their mean
	SpansPerDay uint64 `json:"spans_per_day"`
	LogsPerDay  uint64 `json:"logs_per_day"`
}

// MinCandidateShare is the storage share from which an unread service is
// worth sampling.
const MinCandidateShare = 0.05

// Candidate is a service worth sampling.
type Candidate struct {
	Service string  `json:"service"`
	Bytes   uint64  `json:"bytes"`
	Share   float64 `json:"share"`
}

// Reporter computes reports.
type Reporter struct {
	q    Querier
	opts Options
}

// New returns a Reporter reading through q.
func New(q Querier, o Options) *Reporter {
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Parts == "" {
		o.Parts = "system.parts"
	}
	if o.DataTables == nil {
		o.DataTables = map[string]string{"traces": "otel_traces", "logs": "otel_logs"}
	}
	return &Reporter{q: q, opts: o}
}

// Report computes the usage now.
func (r *Reporter) Report(ctx context.Context) (Report, error) {
	parts, err := r.partitions(ctx)
	if err != nil {
		return Report{}, err
	}
	counts, err := r.counts(ctx)
	if err != nil {
		return Report{}, err
	}
	reads, err := r.readers(ctx)
	if err != nil {
		return Report{}, err
	}
	rep := assemble(parts, counts, reads)
	rep.Retention = retention(parts, r.ttl("traces"), r.ttl("logs"), r.opts.Clock())
	rep.Growth = growth(rep.Days, r.opts.Clock())
	return rep, nil
}

// ttl is a signal's configured retention in days.
func (r *Reporter) ttl(signal string) int {
	own := map[string]int{"traces": r.opts.TracesRetentionDays, "logs": r.opts.LogsRetentionDays}[signal]
	if own > 0 {
		return own
	}
	return r.opts.RetentionDays
}

// key is one signal's partition (a day, as partition_id 20261201).
type key struct{ signal, partition string }

// partSize is a partition's rows and bytes as system.parts has them.
type partSize struct{ rows, bytes, raw uint64 }

// svcCount is a service's rows in a partition and their raw size
// (byteSize of the written columns), the weight its share of the
// partition's bytes is given by.
type svcCount struct{ rows, raw uint64 }

// assemble apportions each partition's bytes to services by their raw size.
func assemble(parts map[key]partSize, counts map[key]map[string]svcCount, reads map[string][]string) Report {
	services := map[string]*Service{}
	days := map[string]*Day{}
	var rep Report
	for k, size := range parts {
		d := dayOf(days, k.partition)
		rep.TotalBytes += size.bytes
		rep.TotalRawBytes += size.raw
		d.Bytes += size.bytes
		d.RawBytes += size.raw
		apportion(services, k, size, counts[k])
	}
	for k, bySvc := range counts {
		for svc, c := range bySvc {
			n := c.rows
			s := serviceOf(services, svc)
			sd := dayOfList(&s.Days, k.partition)
			add(k.signal, n, &s.Spans, &s.Logs)
			add(k.signal, n, &sd.Spans, &sd.Logs)
			d := dayOf(days, k.partition)
			add(k.signal, n, &d.Spans, &d.Logs)
			add(k.signal, n, &rep.TotalSpans, &rep.TotalLogs)
		}
	}
	for _, s := range services {
		s.ReadBySLOs = append([]string{}, reads[s.Service]...)
		if rep.TotalBytes > 0 {
			s.Share = float64(s.Bytes) / float64(rep.TotalBytes)
		}
		slices.SortFunc(s.Days, func(a, b Day) int { return cmp.Compare(a.Day, b.Day) })
		rep.Services = append(rep.Services, *s)
	}
	slices.SortFunc(rep.Services, func(a, b Service) int {
		return cmp.Or(cmp.Compare(b.Bytes, a.Bytes), cmp.Compare(a.Service, b.Service))
	})
	for _, d := range days {
		rep.Days = append(rep.Days, *d)
	}
	slices.SortFunc(rep.Days, func(a, b Day) int { return cmp.Compare(a.Day, b.Day) })
	rep.SamplingCandidates = candidates(rep.Services)
	if rep.Services == nil {
		rep.Services, rep.Days, rep.SamplingCandidates = []Service{}, []Day{}, []Candidate{}
	}
	return rep
}

// apportion gives each service of a partition its share of the bytes by
// the raw size of its rows (by rows when sizes are missing); the last one
// takes the rounding remainder, so the shares sum to the partition's
// bytes exactly.
func apportion(services map[string]*Service, k key, size partSize, bySvc map[string]svcCount) {
	weight := func(c svcCount) uint64 { return c.raw }
	var total uint64
	for _, c := range bySvc {
		total += c.raw
	}
	if total == 0 {
		weight = func(c svcCount) uint64 { return c.rows }
		for _, c := range bySvc {
			total += c.rows
		}
	}
	if total == 0 {
		return
	}
	names := slices.Sorted(maps.Keys(bySvc))
	var givenB, givenR uint64
	for i, svc := range names {
		w := weight(bySvc[svc])
		b, raw := mulDiv(size.bytes, w, total), mulDiv(size.raw, w, total)
		if i == len(names)-1 {
			b, raw = size.bytes-givenB, size.raw-givenR
		}
		givenB, givenR = givenB+b, givenR+raw
		s := serviceOf(services, svc)
		s.Bytes += b
		s.RawBytes += raw
		sd := dayOfList(&s.Days, k.partition)
		sd.Bytes += b
		sd.RawBytes += raw
	}
}

// mulDiv is a*w/total without overflowing: a day's bytes times a
// service's raw size passes 2^64 from about 4 GB × 4 GB.
func mulDiv(a, w, total uint64) uint64 {
	hi, lo := bits.Mul64(a, w)
	q, _ := bits.Div64(hi, lo, total)
	return q
}

func add(signal string, n uint64, spans, logs *uint64) {
	if signal == "traces" {
		*spans += n
	} else {
		*logs += n
	}
}

func serviceOf(m map[string]*Service, name string) *Service {
	s := m[name]
	if s == nil {
		s = &Service{Service: name}
		m[name] = s
	}
	return s
}

func dayOf(m map[string]*Day, partition string) *Day {
	name := dayName(partition)
	d := m[name]
	if d == nil {
		d = &Day{Day: name}
		m[name] = d
	}
	return d
}

func dayOfList(list *[]Day, partition string) *Day {
	name := dayName(partition)
	for i := range *list {
		if (*list)[i].Day == name {
			return &(*list)[i]
		}
	}
	*list = append(*list, Day{Day: name})
	return &(*list)[len(*list)-1]
}

// dayName turns a partition id (20261201) into 2026-12-01.
func dayName(partition string) string {
	if t, err := time.Parse("20060102", partition); err == nil {
		return t.Format(time.DateOnly)
	}
	return partition
}

func candidates(services []Service) []Candidate {
	out := []Candidate{}
	for _, s := range services {
		if len(s.ReadBySLOs) == 0 && s.Share >= MinCandidateShare {
			out = append(out, Candidate{Service: s.Service, Bytes: s.Bytes, Share: s.Share})
		}
	}
	return out
}

// retentionOptions are the retentions a report prices, for each signal
// and for both.
var retentionOptions = []int{7, 14, 30, 60, 90}

// retention prices other TTLs, for each signal from its own days, and for
// both at once as their sum.
func retention(parts map[key]partSize, tracesTTL, logsTTL int, now time.Time) Retention {
	traces := signalRetention(signalDays(parts, "traces"), tracesTTL, now)
	logs := signalRetention(signalDays(parts, "logs"), logsTTL, now)
	ret := Retention{TracesDays: tracesTTL, LogsDays: logsTTL, Traces: traces, Logs: logs,
		KeptBytes: traces.KeptBytes + logs.KeptBytes}
	for _, n := range retentionOptions {
		c := Change{Days: n, Bytes: priced(traces, n).Bytes + priced(logs, n).Bytes}
		c.SavesBytes = int64(ret.KeptBytes) - int64(c.Bytes)
		ret.Options = append(ret.Options, c)
	}
	return ret
}

// signalDays is a signal's bytes per day.
func signalDays(parts map[key]partSize, signal string) []Day {
	var days []Day
	for k, p := range parts {
		if k.signal == signal {
			days = append(days, Day{Day: dayName(k.partition), Bytes: p.bytes, RawBytes: p.raw})
		}
	}
	return days
}

// signalRetention prices every one of retentionOptions for one signal
// (the configured one saving nothing): a shorter TTL keeps the days it
// covers; a longer one adds the mean day for every extra day.
func signalRetention(days []Day, ttl int, now time.Time) SignalRetention {
	ret := SignalRetention{Days: ttl}
	for _, d := range days {
		ret.KeptBytes += d.Bytes
	}
	perDay := growth(days, now).BytesPerDay
	for _, n := range retentionOptions {
		c := Change{Days: n}
		switch {
		case n == ttl:
			c.Bytes = ret.KeptBytes
		case n < ttl:
			c.Bytes = keptWithin(days, n, now)
		default:
			c.Bytes = ret.KeptBytes + uint64(n-ttl)*perDay
		}
		c.SavesBytes = int64(ret.KeptBytes) - int64(c.Bytes)
		ret.Options = append(ret.Options, c)
	}
	return ret
}

// priced is the option of days n in r (each signal prices every option).
func priced(r SignalRetention, n int) Change {
	for _, c := range r.Options {
		if c.Days == n {
			return c
		}
	}
	return Change{}
}

// keptWithin is the bytes of the days a TTL of n days keeps: a row is
// dropped once its day is n days old (TTL Timestamp + n days, whole parts).
func keptWithin(days []Day, n int, now time.Time) uint64 {
	first := now.UTC().Truncate(24*time.Hour).AddDate(0, 0, -n).Format(time.DateOnly)
	var b uint64
	for _, d := range days {
		if d.Day >= first {
			b += d.Bytes
		}
	}
	return b
}

// growth is the mean day over the last 30 days that have data.
func growth(days []Day, now time.Time) Growth {
	first := now.UTC().AddDate(0, 0, -30).Format(time.DateOnly)
	var g Growth
	var bytes, spans, logs uint64
	for _, d := range days {
		if d.Day < first {
			continue
		}
		g.Days++
		bytes, spans, logs = bytes+d.Bytes, spans+d.Spans, logs+d.Logs
	}
	if g.Days > 0 {
		n := uint64(g.Days)
		g.BytesPerDay, g.SpansPerDay, g.LogsPerDay = bytes/n, spans/n, logs/n
	}
	return g
}

func scanErr(what string, err error) error { return fmt.Errorf("usage: %s: %w", what, err) }
