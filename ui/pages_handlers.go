package ui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/flowslo/flowslo/alerting"
	"github.com/flowslo/flowslo/slo"
	"github.com/flowslo/flowslo/slo/engine"
)

// --- flows (/) ---

func (s *Server) flowsPage(c echo.Context) error {
	v, err := s.flowsView(c.Request().Context(), c.QueryParam("flow"), c.QueryParam("service"))
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "flows", "Flows", flowsPage{FlowsView: v, Empty: s.empty(c.Request(), v.NoData)})
}

type flowsPage struct {
	FlowsView
	Empty *emptyState
}

func (s *Server) apiFlows(c echo.Context) error {
	v, err := s.flowsView(c.Request().Context(), c.QueryParam("flow"), c.QueryParam("service"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}

// --- one SLO (/slos/:name) ---

// SLOView is one SLO's page.
type SLOView struct {
	S            engine.SLOStatus
	Raw          string // range of the slice breakdown and examples
	Raws         []string
	Slices       []SliceRow
	SliceError   string
	Examples     []engine.Example
	ExampleError string
	// Missing are the attributes the filters read that a large share of
	// the events lack (engine.MissingWarnShare).
	Missing    []engine.MissingAttribute
	Release    string // examples of this release only (?release=)
	AlertingOn bool
	Alerts     []alerting.Alert
	Tiers      []TierRow
	TiersError string
	WindowS    int64
	Empty      *emptyState
	// ChartRange is the charts' first range: 6h while an alert fires (a
	// short incident is visible), else 24h.
	ChartRange  string
	ChartRanges []string
	Firing      bool
	// Markers are the alert starts and ends and release first sights the
	// charts mark, as JSON.
	Markers string
}

// Marker is one moment the SLO charts mark.
type Marker struct {
	T     int64  `json:"t"`    // Unix seconds
	Kind  string `json:"kind"` // alert-start | alert-end | release
	Label string `json:"label"`
	Short string `json:"short"`
}

// SliceRow is one slice value's bad events and its share of the SLO's.
type SliceRow struct {
	engine.SliceCount
	Share float64
}

// TierRow is one alert rule with the burn rates it compares now, as
// alerting evaluated it: Met only when it fires, else Why says why not.
type TierRow struct {
	Severity          string
	Long, Short       slo.Duration
	Factor            float64
	LongNow, ShortNow *float64 // nil without events
	Met               bool
	Why               string
}

func (s *Server) sloPage(c echo.Context) error {
	ctx := c.Request().Context()
	st, err := s.opts.SLOs.StatusOf(ctx, c.Param("name"))
	if err != nil {
		return err
	}
	v := SLOView{S: st, Raw: canonicalRange(c.QueryParam("raw")), WindowS: int64(time.Since(st.WindowStart).Seconds())}
	for _, r := range rangesUpTo(engine.MaxRawRange) {
		v.Raws = append(v.Raws, r.Key)
	}
	d, ok := lookupRange(v.Raw)
	if !ok || d > engine.MaxRawRange {
		v.Raw, d = "1h", time.Hour
	}
	to := time.Now()
	if sl, err := s.opts.SLOs.BadBySlice(ctx, st.Name, to.Add(-d), to); err != nil {
		v.SliceError = s.hideCause(c, "bad events by slice", err)
	} else {
		v.Slices = sliceRows(sl)
	}
	v.Release = c.QueryParam("release")
	if ex, err := s.opts.SLOs.ExampleTraces(ctx, st.Name, to.Add(-d), to, examplesFor(v.Release)); err != nil {
		v.ExampleError = s.hideCause(c, "example traces", err)
	} else {
		v.Examples = ofRelease(ex, v.Release)
	}
	if ms, err := s.opts.SLOs.MissingAttributes(ctx, st.Name, to.Add(-d), to); err == nil {
		for _, m := range ms {
			if m.Warn {
				v.Missing = append(v.Missing, m)
			}
		}
	}
	s.alertsOf(ctx, &v)
	s.chartsOf(ctx, &v)
	if st.Total == 0 {
		v.Empty = s.empty(c.Request(), true)
	}
	return s.render(c, http.StatusOK, "slo", st.Name, v)
}

// chartsOf chooses the charts' first range and their markers.
func (s *Server) chartsOf(ctx context.Context, v *SLOView) {
	v.ChartRange, v.ChartRanges = "24h", []string{"1h", "6h", "24h", "7d"}
	var ms []Marker
	for _, a := range v.Alerts {
		if a.State == alerting.Firing {
			v.Firing, v.ChartRange = true, "6h"
		}
		ms = append(ms, Marker{T: a.StartedAt.Unix(), Kind: "alert-start", Label: fmt.Sprintf("%s alert started %s", a.Severity, a.StartedAt.UTC().Format("15:04 UTC")), Short: string(a.Severity) + " ▶"})
		if a.ResolvedAt != nil {
			ms = append(ms, Marker{T: a.ResolvedAt.Unix(), Kind: "alert-end", Label: fmt.Sprintf("%s alert resolved %s", a.Severity, a.ResolvedAt.UTC().Format("15:04 UTC")), Short: "■"})
		}
	}
	if s.opts.Releases != nil {
		if rs, err := s.opts.Releases.Releases(ctx, engine.ReleaseFilter{SLO: v.S.Name}); err == nil {
			for _, r := range rs {
				ms = append(ms, Marker{T: r.FirstSeen.Unix(), Kind: "release", Label: "release " + r.Version + " first seen " + r.FirstSeen.UTC().Format("Jan 2 15:04 UTC"), Short: r.Version})
			}
		}
	}
	if ms == nil {
		ms = []Marker{}
	}
	b, _ := json.Marshal(ms)
	v.Markers = string(b)
}

// examplesFor is how many examples to read: more when some will be
// filtered out by release.
func examplesFor(release string) int {
	if release != "" {
		return 100
	}
	return 10
}

// ofRelease keeps the examples of one release (all when empty), at most 10.
func ofRelease(ex []engine.Example, release string) []engine.Example {
	var out []engine.Example
	for _, x := range ex {
		if release == "" || x.Version == release {
			out = append(out, x)
		}
	}
	return out[:min(len(out), 10)]
}

func sliceRows(in []engine.SliceCount) []SliceRow {
	out := make([]SliceRow, 0, len(in))
	for _, x := range in {
		r := SliceRow{SliceCount: x}
		if x.SLOBad > 0 {
			r.Share = float64(x.Bad) / float64(x.SLOBad)
		}
		out = append(out, r)
	}
	return out
}

func (s *Server) alertsOf(ctx context.Context, v *SLOView) {
	s.tiersOf(ctx, v)
	if s.opts.Alerting == nil {
		return
	}
	v.AlertingOn = true
	all, err := s.opts.Alerting.Alerts(ctx)
	if err != nil {
		return
	}
	for _, a := range all {
		if a.SLO == v.S.Name {
			v.Alerts = append(v.Alerts, a)
		}
	}
}

func (s *Server) tiersOf(ctx context.Context, v *SLOView) {
	if s.opts.AlertTiers == nil {
		return
	}
	rs, _, err := s.opts.AlertTiers(ctx, v.S.Name)
	if err != nil {
		v.TiersError = err.Error()
		return
	}
	for _, r := range rs {
		v.Tiers = append(v.Tiers, TierRow{Severity: string(r.Severity), Long: slo.Duration(r.Long), Short: slo.Duration(r.Short), Factor: r.Factor,
			LongNow: burnOf(r.LongCounts, r.LongBurn), ShortNow: burnOf(r.ShortCounts, r.ShortBurn), Met: r.Met, Why: r.Why()})
	}
}

// burnOf is a rule's burn rate, nil when its window had no events.
func burnOf(c alerting.Counts, burn float64) *float64 {
	if c.Total == 0 {
		return nil
	}
	return &burn
}

// --- one trace (/traces/:id) ---

func (s *Server) trace(c echo.Context) (Trace, error) {
	id, err := parseTraceID(c.Param("id"))
	if err != nil {
		return Trace{}, err
	}
	if s.opts.Telemetry == nil {
		return Trace{}, unavailable("traces need the telemetry store", nil)
	}
	t, err := s.opts.Telemetry.Trace(c.Request().Context(), id)
	if errors.Is(err, ErrNoTrace) {
		return t, notFound("no spans or logs carry trace ID %s (yet): spans can take a few seconds to arrive, and are kept for the retention period", id)
	}
	return t, err
}

func (s *Server) tracePage(c echo.Context) error {
	t, err := s.trace(c)
	if err != nil {
		return err
	}
	w := waterfall(t)
	w.FromSLO, w.Match = c.QueryParam("slo"), c.QueryParam("span")
	return s.render(c, http.StatusOK, "trace", "Trace "+t.TraceID, w)
}

func (s *Server) apiTrace(c echo.Context) error {
	t, err := s.trace(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, t)
}

// --- readiness ---

// ReadinessView is the release readiness page: per flow, and the
// releases seen in the last 7 days with their verdicts.
type ReadinessView struct {
	Flows        []engine.FlowReadiness
	Releases     []RecentRelease
	Picker       Picker
	ReleaseError string
	Empty        *emptyState
}

func (s *Server) readinessPage(c echo.Context) error {
	ctx := c.Request().Context()
	fr, err := s.opts.SLOs.Readiness(ctx)
	if err != nil {
		return err
	}
	st, err := s.opts.SLOs.Status(ctx)
	if err != nil {
		return err
	}
	noData := true
	for _, x := range st {
		noData = noData && x.Total == 0
	}
	v := ReadinessView{Flows: fr, Empty: s.empty(c.Request(), noData)}
	if v.Releases, err = s.recentReleases(ctx, time.Now().Add(-recentReleases), maxRecentVerdicts); err != nil {
		v.ReleaseError = err.Error()
	}
	v.Picker = Picker{Versions: s.versions(ctx)}
	sort.SliceStable(v.Flows, func(i, j int) bool { return engine.Rank(v.Flows[i].Verdict) > engine.Rank(v.Flows[j].Verdict) })
	return s.render(c, http.StatusOK, "readiness", "Release readiness", v)
}

// --- services ---

func (s *Server) servicesPage(c echo.Context) error {
	v, err := s.servicesView(c.Request().Context(), c.QueryParam("range"))
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "services", "Services", servicesPage{ServicesView: v, Ranges: rangesUpTo(24 * time.Hour),
		Empty: s.empty(c.Request(), len(v.Endpoints) == 0)})
}

type servicesPage struct {
	ServicesView
	Ranges []TimeRange
	Empty  *emptyState
}

func (s *Server) apiServices(c echo.Context) error {
	v, err := s.servicesView(c.Request().Context(), c.QueryParam("range"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}

// --- alerts ---

// AlertsView is the alerts page.
type AlertsView struct {
	Configured  bool
	NoReceivers bool // configured alerting with nowhere to send
	Firing      []alerting.Alert
	Recent      []alerting.Alert
	Silences    []alerting.Silence
	SLOs        []string
	Flows       []string
	Durations   []string
	Problems    []string
	Form        SilenceForm
	Created     string
}

// SilenceForm is what the silence form was filled in with.
type SilenceForm struct {
	Target, For, By, Why string
}

func (s *Server) alertsPage(c echo.Context) error {
	return s.renderAlerts(c, http.StatusOK, SilenceForm{For: "2 hours"}, nil)
}

func (s *Server) renderAlerts(c echo.Context, status int, form SilenceForm, problems []string) error {
	ctx := c.Request().Context()
	v := AlertsView{Configured: s.opts.Alerting != nil, NoReceivers: s.opts.NoReceivers, Form: form, Problems: problems, Created: c.QueryParam("created")}
	for _, d := range silenceDurations {
		v.Durations = append(v.Durations, d.Label)
	}
	if st, err := s.opts.SLOs.Status(ctx); err == nil {
		flows := map[string]bool{}
		for _, x := range st {
			v.SLOs = append(v.SLOs, x.Name)
			flows[x.Flow] = true
		}
		sort.Strings(v.SLOs)
		v.Flows = keys(flows)
	}
	if v.Configured {
		all, err := s.opts.Alerting.Alerts(ctx)
		if err != nil {
			return err
		}
		for _, a := range all {
			if a.State == alerting.Firing {
				v.Firing = append(v.Firing, a)
			} else {
				v.Recent = append(v.Recent, a)
			}
		}
		if v.Silences, err = s.opts.Alerting.Silences(ctx); err != nil {
			return err
		}
	}
	return s.render(c, status, "alerts", "Alerts", v)
}

func (s *Server) silenceForm(c echo.Context) error {
	if s.opts.Alerting == nil {
		return errNoAlerting
	}
	f := SilenceForm{Target: c.FormValue("target"), For: c.FormValue("for"), By: c.FormValue("by"), Why: c.FormValue("why")}
	in := alerting.SilenceInput{CreatedBy: f.By, Comment: f.Why}
	if kind, name, ok := strings.Cut(f.Target, ":"); ok && kind == "slo" {
		in.SLO = name
	} else if ok && kind == "flow" {
		in.Flow = name
	}
	var problems []string
	for _, d := range silenceDurations {
		if d.Label == f.For {
			in.Until = time.Now().Add(d.D)
		}
	}
	if in.Until.IsZero() {
		problems = append(problems, "Choose how long the silence lasts.")
	}
	if in.SLO == "" && in.Flow == "" {
		problems = append(problems, "Choose the SLO or flow to silence.")
	}
	if len(problems) == 0 {
		sil, err := s.opts.Alerting.CreateSilence(c.Request().Context(), in)
		var ie *alerting.InputError
		switch {
		case errors.As(err, &ie):
			problems = ie.Problems
		case err != nil:
			return err
		default:
			return c.Redirect(http.StatusSeeOther, "/alerts?created="+url.QueryEscape(sil.ID)+"#silences")
		}
	}
	return s.renderAlerts(c, http.StatusUnprocessableEntity, f, problems)
}

func (s *Server) expireForm(c echo.Context) error {
	if s.opts.Alerting == nil {
		return errNoAlerting
	}
	if err := s.opts.Alerting.ExpireSilence(c.Request().Context(), c.Param("id")); err != nil {
		return alertingError(err)
	}
	return c.Redirect(http.StatusSeeOther, "/alerts#silences")
}

// --- one service (/services/:name) ---

// ServiceView is one service: its endpoints' RED and the SLOs on it.
type ServiceView struct {
	Service string `json:"service"`
	ServicesView
	SLOs []engine.SLOStatus `json:"slos"`
}

func (s *Server) serviceView(c echo.Context) (ServiceView, error) {
	ctx := c.Request().Context()
	name := c.Param("name")
	if n, err := url.PathUnescape(name); err == nil {
		name = n // the links escape it (a service name may hold a /)
	}
	ev, err := s.endpointsView(ctx, c.QueryParam("range"), name)
	if err != nil {
		return ServiceView{}, err
	}
	v := ServiceView{Service: name, ServicesView: ev, SLOs: []engine.SLOStatus{}}
	st, err := s.opts.SLOs.Status(ctx)
	if err != nil {
		return v, err
	}
	for _, x := range st {
		if x.Service == name || x.Expects.Service == name {
			v.SLOs = append(v.SLOs, x)
		}
	}
	if len(v.Endpoints) == 0 && len(v.SLOs) == 0 {
		return v, notFound("no endpoint of service %q in the last %s and no SLO on it: the services page lists those seen", name, ev.Range)
	}
	return v, nil
}

func (s *Server) servicePage(c echo.Context) error {
	v, err := s.serviceView(c)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "service", v.Service, servicePage{ServiceView: v, Ranges: rangesUpTo(24 * time.Hour)})
}

type servicePage struct {
	ServiceView
	Ranges []TimeRange
}

func (s *Server) apiService(c echo.Context) error {
	v, err := s.serviceView(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}
