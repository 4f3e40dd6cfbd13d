package ui

import (
	"context"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/flowslo/flowslo/usage"
)

// Usage reports what the stored telemetry costs; *usage.Reporter
// satisfies it.
type Usage interface {
	Report(ctx context.Context) (usage.Report, error)
}

func (s *Server) usageRoutes(api *echo.Group, pages *echo.Group) {
	api.GET("/usage", s.usageAPI, s.heavy.middleware)
	pages.GET("/usage", s.usagePage, s.heavy.middleware)
}

func (s *Server) usageReport(ctx context.Context) (usage.Report, error) {
	if s.opts.Usage == nil {
		return usage.Report{}, &apiError{status: http.StatusServiceUnavailable, message: "usage is not available on this server"}
	}
	rep, err := s.opts.Usage.Report(ctx)
	if err != nil {
		return rep, unavailable("usage", err)
	}
	return rep, nil
}

func (s *Server) usageAPI(c echo.Context) error {
	rep, err := s.usageReport(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, rep)
}

func (s *Server) usagePage(c echo.Context) error {
	rep, err := s.usageReport(c.Request().Context())
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "usage", "Usage and cost", rep)
}

// bytesText writes a size in binary units: 1.5 GiB.
func bytesText(n any) string {
	var f float64
	switch v := n.(type) {
	case uint64:
		f = float64(v)
	case int64:
		f = float64(v)
	case int:
		f = float64(v)
	}
	sign := ""
	if f < 0 {
		sign, f = "-", -f
	}
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB"}
	i := 0
	for f >= 1024 && i < len(units)-1 {
		f /= 1024
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%s%.0f B", sign, f)
	}
	return fmt.Sprintf("%s%.1f %s", sign, f, units[i])
}
