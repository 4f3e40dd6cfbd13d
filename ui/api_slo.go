package ui

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/flowslo/flowslo/slo/engine"
)

// SLOEngine is what the SLO endpoints read; *engine.Engine satisfies it.
type SLOEngine interface {
	Status(ctx context.Context) ([]engine.SLOStatus, error)
	StatusOf(ctx context.Context, name string) (engine.SLOStatus, error)
	Series(ctx context.Context, name string, from, to time.Time, step time.Duration, slice string) (engine.Series, error)
	BadBySlice(ctx context.Context, name string, from, to time.Time) ([]engine.SliceCount, error)
	ExampleTraces(ctx context.Context, name string, from, to time.Time, limit int) ([]engine.Example, error)
	Readiness(ctx context.Context) ([]engine.FlowReadiness, error)
	Progress() []engine.Progress
	Latency(ctx context.Context, name string, from, to time.Time, step time.Duration) (engine.LatencySeries, error)
	MissingAttributes(ctx context.Context, name string, from, to time.Time) ([]engine.MissingAttribute, error)
}

func (s *Server) sloRoutes(api *echo.Group) {
	api.GET("/slos", s.listSLOs)
	api.GET("/slos/:name", s.getSLO)
	api.GET("/slos/:name/series", s.sloSeries, s.heavy.middleware)
	api.GET("/slos/:name/bad-by-slice", s.sloBadBySlice, s.heavy.middleware)
	api.GET("/slos/:name/examples", s.sloExamples, s.heavy.middleware)
	api.GET("/slos/:name/latency", s.sloLatency)
	api.GET("/slos/:name/missing-attributes", s.sloMissing, s.heavy.middleware)
	api.GET("/readiness", s.readiness)
	api.GET("/backfill", s.backfill)
}

func (s *Server) listSLOs(c echo.Context) error {
	st, err := s.opts.SLOs.Status(c.Request().Context())
	if err != nil {
		return err
	}
	if st == nil {
		st = []engine.SLOStatus{}
	}
	out := map[string]any{"slos": st}
	if e := s.sloLoadError(); e != nil {
		out["slo_load_error"] = e
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) getSLO(c echo.Context) error {
	st, err := s.opts.SLOs.StatusOf(c.Request().Context(), c.Param("name"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, st)
}

func (s *Server) sloSeries(c echo.Context) error {
	r, err := parseRange(c, 24*time.Hour)
	if err != nil {
		return err
	}
	// about 200 points, in whole minutes as the engine counts
	step := max(time.Minute, (r.to.Sub(r.from)/200 + time.Minute - 1).Truncate(time.Minute))
	if v := c.QueryParam("step"); v != "" {
		if step, err = parseStep(v); err != nil {
			return err
		}
	}
	if step > 0 && r.to.Sub(r.from)/step > engine.MaxPoints {
		return badRequest("step %s from %s to %s gives more than %d points: use a longer step", step, r.from.UTC().Format(time.RFC3339), r.to.UTC().Format(time.RFC3339), engine.MaxPoints)
	}
	series, err := s.opts.SLOs.Series(c.Request().Context(), c.Param("name"), r.from, r.to, step, c.QueryParam("slice"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, series)
}

// sloLatency serves a latency SLO's p50/p95/p99 per step (about 200
// points by default), read from the rollups.
func (s *Server) sloLatency(c echo.Context) error {
	r, err := parseRange(c, 24*time.Hour)
	if err != nil {
		return err
	}
	step := max(time.Minute, (r.to.Sub(r.from)/200 + time.Minute - 1).Truncate(time.Minute))
	if v := c.QueryParam("step"); v != "" {
		if step, err = parseStep(v); err != nil {
			return err
		}
	}
	out, err := s.opts.SLOs.Latency(c.Request().Context(), c.Param("name"), r.from, r.to, step)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) sloMissing(c echo.Context) error {
	r, err := parseRange(c, time.Hour)
	if err != nil {
		return err
	}
	out, err := s.opts.SLOs.MissingAttributes(c.Request().Context(), c.Param("name"), r.from, r.to)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"attributes": out, "warn_share": engine.MissingWarnShare})
}

func (s *Server) sloBadBySlice(c echo.Context) error {
	r, err := parseRange(c, time.Hour)
	if err != nil {
		return err
	}
	out, err := s.opts.SLOs.BadBySlice(c.Request().Context(), c.Param("name"), r.from, r.to)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"slices": out})
}

func (s *Server) sloExamples(c echo.Context) error {
	r, err := parseRange(c, time.Hour)
	if err != nil {
		return err
	}
	limit := 10
	if v := c.QueryParam("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > 100 {
			return badRequest("limit %q: write a whole number from 1 to 100", v)
		}
	}
	out, err := s.opts.SLOs.ExampleTraces(c.Request().Context(), c.Param("name"), r.from, r.to, limit)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"examples": out})
}

func (s *Server) readiness(c echo.Context) error {
	out, err := s.opts.SLOs.Readiness(c.Request().Context())
	if err != nil {
		return err
	}
	if out == nil {
		out = []engine.FlowReadiness{}
	}
	return c.JSON(http.StatusOK, map[string]any{"flows": out})
}

func (s *Server) backfill(c echo.Context) error {
	p := s.opts.SLOs.Progress()
	if p == nil {
		p = []engine.Progress{}
	}
	return c.JSON(http.StatusOK, map[string]any{"slos": p})
}

// timeRange is a [from, to) read from the query string.
type timeRange struct{ from, to time.Time }

// parseRange reads ?from=&to= as RFC 3339 times or Unix seconds; to defaults
// to now and from to `span` before to.
func parseRange(c echo.Context, span time.Duration) (timeRange, error) {
	r := timeRange{to: time.Now()}
	var err error
	if v := c.QueryParam("to"); v != "" {
		if r.to, err = parseTime("to", v); err != nil {
			return r, err
		}
	}
	r.from = r.to.Add(-span)
	if v := c.QueryParam("from"); v != "" {
		if r.from, err = parseTime("from", v); err != nil {
			return r, err
		}
	}
	if !r.to.After(r.from) {
		return r, badRequest("from must be before to")
	}
	return r, nil
}

// Times outside [minTime, maxTime] cannot name stored data (and some do
// not even encode as JSON): refused as a bad request.
var (
	minTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
)

func parseTime(name, v string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		secs, perr := strconv.ParseInt(v, 10, 64)
		if perr != nil {
			return time.Time{}, badRequest("%s %q: write an RFC 3339 time (2026-11-26T09:00:00Z) or Unix seconds", name, v)
		}
		t = time.Unix(secs, 0)
	}
	if t.Before(minTime) || t.After(maxTime) {
		return time.Time{}, badRequest("%s %q: out of range, give a time between 2000 and 2200", name, v)
	}
	return t, nil
}

func parseStep(v string) (time.Duration, error) {
	if d, err := time.ParseDuration(v); err == nil && d > 0 {
		return d, nil
	}
	if secs, err := strconv.Atoi(v); err == nil && secs > 0 {
		return time.Duration(secs) * time.Second, nil
	}
	return 0, badRequest("step %q: write a duration such as 5m, or seconds", v)
}
