package ui

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/flowslo/flowslo/slo"
	"github.com/flowslo/flowslo/slo/engine"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed assets
var assetFS embed.FS

// pageNames are the templates, each rendered inside base.html.
var pageNames = []string{"flows", "slo", "trace", "readiness", "alerts", "services", "login", "error", "release", "releases", "usage", "service"}

var pages = parsePages()

func parsePages() map[string]*template.Template {
	out := map[string]*template.Template{}
	for _, name := range pageNames {
		out[name] = template.Must(template.New("base.html").Funcs(funcs).
			ParseFS(templateFS, "templates/base.html", "templates/"+name+".html"))
	}
	return out
}

// pageData is what base.html receives.
type pageData struct {
	// Live pages refresh themselves (app.js), with "updated N s ago".
	Live  bool
	Title string
	Nav   string
	CSRF  string
	Now   time.Time
	View  any
}

// livePages are the pages with numbers, which refresh themselves.
var livePages = map[string]bool{"flows": true, "slo": true, "readiness": true, "services": true, "release": true, "service": true}

// navOf names the menu entry a page belongs to.
var navOf = map[string]string{"flows": "flows", "slo": "flows", "trace": "services", "readiness": "readiness",
	"alerts": "alerts", "services": "services", "release": "readiness", "releases": "readiness", "usage": "usage", "service": "services"}

func (s *Server) render(c echo.Context, status int, name, title string, view any) error {
	var buf bytes.Buffer
	d := pageData{Live: livePages[name], Title: title, Nav: navOf[name], CSRF: csrfToken(c), Now: time.Now().UTC(), View: view}
	if err := pages[name].Execute(&buf, d); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.HTMLBlob(status, buf.Bytes())
}

func (s *Server) pageRoutes(api *echo.Group) {
	assets, _ := fs.Sub(assetFS, "assets")
	s.echo.GET("/assets/*", echo.WrapHandler(http.StripPrefix("/assets/", cacheAssets(http.FileServerFS(assets)))))
	p := s.echo.Group("", csrf, pageErrors(s))
	p.GET("/", s.flowsPage)
	p.GET("/slos/:name", s.sloPage, s.heavy.middleware)
	p.GET("/traces/:id", s.tracePage, s.heavy.middleware)
	p.GET("/readiness", s.readinessPage)
	s.usageRoutes(api, p)
	p.GET("/services", s.servicesPage, s.heavy.middleware)
	p.GET("/services/:name", s.servicePage, s.heavy.middleware)
	p.GET("/alerts", s.alertsPage)
	p.POST("/alerts/silences", s.silenceForm)
	p.POST("/alerts/silences/:id/expire", s.expireForm)
	p.GET("/login", s.loginForm)
	p.POST("/login", s.login)
	api.GET("/flows", s.apiFlows)
	api.GET("/traces/:id", s.apiTrace, s.heavy.middleware)
	api.GET("/services", s.apiServices, s.heavy.middleware)
	api.GET("/services/:name", s.apiService, s.heavy.middleware)
	s.releaseRoutes(api, p)
	s.alertRoutes(api)
}

func cacheAssets(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "" || strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r) // files only: no directory listings
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=3600")
		h.ServeHTTP(w, r)
	})
}

// pageErrors shows errors of page handlers as a page, not JSON.
func pageErrors(s *Server) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			err := next(c)
			if err == nil || c.Response().Committed || strings.HasPrefix(c.Request().URL.Path, "/api/") {
				return err // the API answers JSON (errorHandler)
			}
			status, msg := http.StatusInternalServerError, "Something went wrong on our side; the log has the details."
			var ae *apiError
			var he *echo.HTTPError
			switch {
			case errors.As(err, &he) && he.Code == http.StatusNotFound:
				status, msg = http.StatusNotFound, "There is no page here. The Flows page links to every SLO, release and service."
			case errors.As(err, &he) && he.Code < 500:
				status, msg = he.Code, fmt.Sprint(he.Message)
			case errors.Is(err, engine.ErrUnknownSLO):
				status, msg = http.StatusNotFound, "There is no SLO by that name. The flows page lists every SLO flowslo knows."
			case errors.Is(err, engine.ErrUnknownRelease):
				status, msg = http.StatusNotFound, "No SLO has seen that release: "+err.Error()+". The releases page lists those seen."
			case errors.As(err, &ae):
				status, msg = ae.status, ae.message // the cause may hold SQL: logged, never shown
			}
			if status >= 500 || (ae != nil && ae.cause != nil) {
				s.opts.Logger.Error("page failed", "path", c.Path(), "err", err)
			}
			return s.render(c, status, "error", http.StatusText(status), errorView{Status: status, Message: msg})
		}
	}
}

type errorView struct {
	Status  int
	Message string
}

var funcs = template.FuncMap{
	"pct":         pctText,
	"errRate":     errRateText,
	"pctf":        pct,
	"budget":      budgetText,
	"budgetW":     budgetWidth,
	"budgetCls":   budgetClass,
	"burn":        burnText,
	"burnCls":     burnClass,
	"statusText":  statusText,
	"verdict":     verdictText,
	"ms":          msText,
	"when":        func(t time.Time) string { return t.UTC().Format("Jan 2 15:04:05 UTC") },
	"ago":         ago,
	"num":         numText,
	"rate":        func(f float64) string { return strconv.FormatFloat(f, 'f', rateDigits(f), 64) + "/s" },
	"spark":       sparkline,
	"burnKeys":    func() []slo.Duration { return engine.BurnWindows },
	"window":      slo.ParseDuration, // a burn window in a template: rateOf .BurnRates (window "1h")
	"rateOf":      func(m map[slo.Duration]*float64, w slo.Duration) *float64 { return m[w] },
	"fixed":       func(f float64, d int) string { return strconv.FormatFloat(f, 'f', d, 64) },
	"add":         func(a, b int) int { return a + b },
	"lower":       strings.ToLower,
	"cardKeys":    func() []slo.Duration { return cardWindows },
	"statustext":  http.StatusText,
	"fixedOffset": func(pct, total float64) float64 { return pct * total / 100 },
	"mul100":      func(f float64) float64 { return f * 100 },
	"below":       func(sli *float64, objective float64) bool { return sli != nil && *sli*100 < objective },
	"pval":        pValueText,
	"bytes":       bytesText,
	"neg":         func(n int64) int64 { return -n },
	"pathEsc":     url.PathEscape,
	"bucketErr":   func() string { return strconv.FormatFloat(engine.BucketError*100, 'f', 1, 64) + "%" },
}

// errRateText is a share of failing events, or why there is none.
func errRateText(f *float64) string {
	if f == nil {
		return "no events"
	}
	return pct(*f)
}

func budgetText(f *float64) string {
	switch {
	case f == nil:
		return "no data"
	case *f < 0:
		return "overspent by " + pct(-*f)
	}
	return pct(*f) + " left"
}

func budgetWidth(f *float64) float64 {
	if f == nil {
		return 0
	}
	return math.Round(math.Max(0, math.Min(1, *f))*1000) / 10
}

func budgetClass(f *float64) string {
	switch {
	case f == nil:
		return "none"
	case *f <= 0:
		return "bad"
	case *f < 0.25:
		return "warn"
	}
	return "good"
}

func burnText(f *float64) string {
	if f == nil {
		return "–"
	}
	if *f >= 10 {
		return strconv.FormatFloat(*f, 'f', 0, 64) + "×"
	}
	return strconv.FormatFloat(*f, 'f', 1, 64) + "×"
}

// burnClass: at most 1× keeps within budget; 6× and 14.4× are the
// workbook's page thresholds for a 30-day window.
func burnClass(f *float64) string {
	switch {
	case f == nil:
		return "none"
	case *f >= 14.4:
		return "crit"
	case *f >= 6:
		return "bad"
	case *f > 1:
		return "warn"
	}
	return "good"
}

func statusText(s string) string {
	switch s {
	case engine.StatusOK:
		return "Healthy"
	case engine.StatusBurning:
		return "Burning fast"
	case engine.StatusExhausted:
		return "Budget spent"
	case engine.StatusNoData:
		return "No data"
	case engine.StatusBackfilling:
		return "Backfilling"
	}
	return s
}

func verdictText(v string) string {
	switch v {
	case engine.Ready:
		return "Ready"
	case engine.AtRisk:
		return "At risk"
	case engine.NotReady:
		return "Not ready"
	case engine.NoData:
		return "No data yet"
	case engine.Unknown:
		return "Unknown"
	}
	return v
}

func msText(f float64) string {
	switch {
	case f >= 10000:
		return strconv.FormatFloat(f/1000, 'f', 1, 64) + " s"
	case f >= 1000:
		return strconv.FormatFloat(f/1000, 'f', 2, 64) + " s"
	case f >= 100:
		return strconv.FormatFloat(f, 'f', 0, 64) + " ms"
	case f >= 1:
		return strconv.FormatFloat(f, 'f', 1, 64) + " ms"
	}
	return strconv.FormatFloat(f, 'f', 2, 64) + " ms"
}

func rateDigits(f float64) int {
	switch {
	case f >= 100:
		return 0
	case f >= 1:
		return 1
	}
	return 2
}

func numText(n uint64) string {
	s := strconv.FormatUint(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func ago(t time.Time) string {
	d := time.Since(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%.0f h ago", math.Floor(d.Hours()))
	}
	return fmt.Sprintf("%d days ago", int(d.Hours()/24))
}

var traceID = regexp.MustCompile(`^[0-9a-fA-F]{1,64}$`)

func parseTraceID(id string) (string, error) {
	if !traceID.MatchString(id) {
		return "", badRequest("trace ID %q: write the hex trace ID, e.g. 4bf92f3577b34da6a3ce929d0e0e4736", id)
	}
	return strings.ToLower(id), nil
}

// pValueText writes a p-value as "= 0.412" or "< 0.001".
func pValueText(p float64) string {
	if p < 0.001 {
		return "< 0.001"
	}
	return "= " + strconv.FormatFloat(p, 'f', 3, 64)
}
