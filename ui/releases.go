package ui

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/flowslo/flowslo/slo/engine"
)

// Releases is what the release endpoints and pages read; *engine.Engine
// satisfies it.
type Releases interface {
	Releases(ctx context.Context, f engine.ReleaseFilter) ([]engine.ReleaseInfo, error)
	Release(ctx context.Context, version string, q engine.ReleaseQuery) (engine.ReleaseReport, error)
}

// recentReleases is how far back the readiness page lists releases.
const recentReleases = 7 * 24 * time.Hour

// maxRecentVerdicts bounds the release reports the readiness page computes.
const maxRecentVerdicts = 6

func (s *Server) releaseRoutes(api *echo.Group, p *echo.Group) {
	api.GET("/releases", s.apiReleases)
	api.GET("/releases/:version", s.apiRelease)
	p.GET("/releases", s.releasesPage)
	p.GET("/releases/:version", s.releasePage)
}

func (s *Server) releases() (Releases, error) {
	if s.opts.Releases == nil {
		return nil, unavailable("releases need the SLO engine", nil)
	}
	return s.opts.Releases, nil
}

// releaseFilter reads ?since= (a range such as 7d, or a time), ?slo= and
// ?flow=.
func releaseFilter(c echo.Context) (engine.ReleaseFilter, error) {
	f := engine.ReleaseFilter{SLO: c.QueryParam("slo"), Flow: c.QueryParam("flow")}
	v := c.QueryParam("since")
	if v == "" {
		return f, nil
	}
	if d, ok := lookupRange(v); ok {
		f.Since = time.Now().Add(-d)
		return f, nil
	}
	t, err := parseTime("since", v)
	f.Since = t
	return f, err
}

func (s *Server) apiReleases(c echo.Context) error {
	r, err := s.releases()
	if err != nil {
		return err
	}
	f, err := releaseFilter(c)
	if err != nil {
		return err
	}
	list, err := r.Releases(c.Request().Context(), f)
	if err != nil {
		return err
	}
	if list == nil {
		list = []engine.ReleaseInfo{}
	}
	return c.JSON(http.StatusOK, map[string]any{"releases": list})
}

// releaseQuery reads ?from= (a time, or a range back from now) and ?flow=.
func releaseQuery(c echo.Context) (engine.ReleaseQuery, error) {
	q := engine.ReleaseQuery{Flow: c.QueryParam("flow")}
	v := c.QueryParam("from")
	if v == "" {
		return q, nil
	}
	if d, ok := lookupRange(v); ok {
		q.From = time.Now().Add(-d)
		return q, nil
	}
	t, err := parseTime("from", v)
	q.From = t
	return q, err
}

func (s *Server) report(c echo.Context) (engine.ReleaseReport, error) {
	r, err := s.releases()
	if err != nil {
		return engine.ReleaseReport{}, err
	}
	q, err := releaseQuery(c)
	if err != nil {
		return engine.ReleaseReport{}, err
	}
	return r.Release(c.Request().Context(), c.Param("version"), q)
}

func (s *Server) apiRelease(c echo.Context) error {
	rep, err := s.report(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, rep)
}

// ReleasePage is one release's page: the report, and the picker's choices.
type ReleasePage struct {
	engine.ReleaseReport
	Picker   Picker
	Flow     string
	Flows    []ReleaseFlow
	Adoption Sparkline
}

// ReleaseFlow is one flow's SLOs in a release report.
type ReleaseFlow struct {
	Flow string
	SLOs []engine.ReleaseSLO
}

func (s *Server) releasePage(c echo.Context) error {
	rep, err := s.report(c)
	if err != nil {
		return err
	}
	v := ReleasePage{ReleaseReport: rep, Flow: c.QueryParam("flow"), Adoption: adoptionLine(rep.AdoptionSeries)}
	v.Picker = Picker{Versions: rep.Seen, Current: rep.Version}
	v.Flows = byFlow(rep.SLOs)
	return s.render(c, http.StatusOK, "release", "Release "+rep.Version, v)
}

func byFlow(rs []engine.ReleaseSLO) []ReleaseFlow {
	var out []ReleaseFlow
	for _, r := range rs {
		i := len(out) - 1
		for j := range out {
			if out[j].Flow == r.Flow {
				i = j
			}
		}
		if i < 0 || out[i].Flow != r.Flow {
			out = append(out, ReleaseFlow{Flow: r.Flow})
			i = len(out) - 1
		}
		out[i].SLOs = append(out[i].SLOs, r)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Flow < out[j].Flow })
	return out
}

// versions are the releases seen, newest first, for the picker.
func (s *Server) versions(ctx context.Context) []string {
	if s.opts.Releases == nil {
		return nil
	}
	list, err := s.opts.Releases.Releases(ctx, engine.ReleaseFilter{})
	if err != nil {
		return nil
	}
	var out []string
	for _, r := range list {
		out = append(out, r.Version)
	}
	return out
}

// Picker is the release picker's choices, newest first.
type Picker struct {
	Versions []string
	Current  string
}

func pickerOf(rs []RecentRelease) Picker {
	var p Picker
	for _, r := range rs {
		p.Versions = append(p.Versions, r.Version)
	}
	return p
}

// ReleasesPage lists the releases seen, with verdicts for the recent ones.
type ReleasesPage struct {
	Recent []RecentRelease
	Picker Picker
	Error  string
}

// RecentRelease is a release seen lately with its verdict.
type RecentRelease struct {
	engine.ReleaseInfo
	Verdict string
	Summary string
}

func (s *Server) releasesPage(c echo.Context) error {
	if v := c.QueryParam("version"); v != "" { // the picker without JavaScript
		return c.Redirect(http.StatusSeeOther, "/releases/"+urlPath(v))
	}
	rs, err := s.recentReleases(c.Request().Context(), time.Time{}, 0)
	v := ReleasesPage{Recent: rs, Picker: pickerOf(rs)}
	if err != nil {
		v.Error = err.Error()
	}
	return s.render(c, http.StatusOK, "releases", "Releases", v)
}

// recentReleases lists the releases last seen since `since` (zero: any),
// the newest `verdicts` with their verdict (0: none).
func (s *Server) recentReleases(ctx context.Context, since time.Time, verdicts int) ([]RecentRelease, error) {
	if s.opts.Releases == nil {
		return nil, nil
	}
	list, err := s.opts.Releases.Releases(ctx, engine.ReleaseFilter{})
	if err != nil {
		return nil, err
	}
	var out []RecentRelease
	for _, r := range list {
		if !since.IsZero() && r.LastSeen.Before(since) {
			continue
		}
		x := RecentRelease{ReleaseInfo: r}
		if len(out) < verdicts {
			rep, err := s.opts.Releases.Release(ctx, r.Version, engine.ReleaseQuery{})
			if err != nil {
				return out, err
			}
			x.Verdict, x.Summary = rep.Verdict, rep.Summary
		}
		out = append(out, x)
	}
	return out, nil
}

func urlPath(v string) string {
	return strings.ReplaceAll(strings.ReplaceAll(v, "/", "%2F"), "?", "%3F")
}

// adoptionLine draws the release's share of events per hour in a
// 120×32 box on a fixed 0…100% axis.
func adoptionLine(pts []engine.AdoptionPoint) Sparkline {
	sp := Sparkline{Low: "0%", High: "100%", ObjectiveY: -10, Empty: true}
	var run []string
	flush := func() {
		if len(run) == 1 { // a lone hour shows as a dash
			run = append(run, run[0])
		}
		if len(run) > 0 {
			sp.Points, sp.Empty = append(sp.Points, strings.Join(run, " ")), false
		}
		run = nil
	}
	for i, p := range pts {
		if p.Share == nil {
			flush()
			continue
		}
		x := 120 * float64(i) / float64(max(len(pts)-1, 1))
		run = append(run, fmt.Sprintf("%.1f,%.1f", x, math.Round((2+28*(1-*p.Share))*10)/10))
	}
	flush()
	return sp
}

// pctText writes a ratio as a percentage with enough digits for SLOs
// (99.95%), or "no data".
func pctText(f *float64) string {
	if f == nil {
		return "no data"
	}
	return pct(*f)
}

func pct(f float64) string {
	v := f * 100
	switch {
	case v >= 99 && v < 100:
		return strconv.FormatFloat(math.Floor(v*100+1e-6)/100, 'f', 2, 64) + "%"
	case v > 0 && v < 1:
		return strconv.FormatFloat(v, 'f', 2, 64) + "%"
	case v == 100 || v == 0:
		return strconv.FormatFloat(v, 'f', 0, 64) + "%"
	}
	return strconv.FormatFloat(v, 'f', 1, 64) + "%"
}
