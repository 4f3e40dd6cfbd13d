package ui

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/flowslo/flowslo/alerting"
)

// Alerting is what the alerts page and API need; *alerting.Manager
// satisfies it.
type Alerting interface {
	Alerts(ctx context.Context) ([]alerting.Alert, error)
	Silences(ctx context.Context) ([]alerting.Silence, error)
	CreateSilence(ctx context.Context, in alerting.SilenceInput) (alerting.Silence, error)
	ExpireSilence(ctx context.Context, id string) error
}

// errNoAlerting: the server runs without alerting configured.
var errNoAlerting = &apiError{status: http.StatusNotFound, message: "alerting is not configured: give flowslo serve a --config with an alerting: block"}

func (s *Server) alertRoutes(api *echo.Group) {
	api.GET("/alerts", s.listAlerts)
	api.GET("/silences", s.listSilences)
	api.POST("/silences", s.createSilence)
	api.POST("/silences/:id/expire", s.expireSilence)
	api.DELETE("/silences/:id", s.expireSilence)
}

func (s *Server) listAlerts(c echo.Context) error {
	if s.opts.Alerting == nil {
		return errNoAlerting
	}
	out, err := s.opts.Alerting.Alerts(c.Request().Context())
	if err != nil {
		return err
	}
	if out == nil {
		out = []alerting.Alert{}
	}
	return c.JSON(http.StatusOK, map[string]any{"alerts": out})
}

func (s *Server) listSilences(c echo.Context) error {
	if s.opts.Alerting == nil {
		return errNoAlerting
	}
	out, err := s.opts.Alerting.Silences(c.Request().Context())
	if err != nil {
		return err
	}
	if out == nil {
		out = []alerting.Silence{}
	}
	return c.JSON(http.StatusOK, map[string]any{"silences": out})
}

func (s *Server) createSilence(c echo.Context) error {
	if s.opts.Alerting == nil {
		return errNoAlerting
	}
	var in alerting.SilenceInput
	if err := c.Bind(&in); err != nil {
		return badRequest(`write the silence as JSON: {"slo": "login-success", "until": "2026-11-26T18:00:00Z", "created_by": "ana", "comment": "why"}`)
	}
	sil, err := s.opts.Alerting.CreateSilence(c.Request().Context(), in)
	if err != nil {
		return alertingError(err)
	}
	return c.JSON(http.StatusCreated, sil)
}

func (s *Server) expireSilence(c echo.Context) error {
	if s.opts.Alerting == nil {
		return errNoAlerting
	}
	if err := s.opts.Alerting.ExpireSilence(c.Request().Context(), c.Param("id")); err != nil {
		return alertingError(err)
	}
	return c.JSON(http.StatusOK, map[string]string{"id": c.Param("id"), "status": "expired"})
}

// alertingError gives alerting's input and not-found errors their status.
func alertingError(err error) error {
	var in *alerting.InputError
	switch {
	case errors.As(err, &in):
		return &apiError{status: http.StatusBadRequest, message: in.Error()}
	case errors.Is(err, alerting.ErrNotFound):
		return &apiError{status: http.StatusNotFound, message: err.Error()}
	}
	return err
}

// silenceDurations are the choices of the page's silence form.
var silenceDurations = []struct {
	Label string
	D     time.Duration
}{{"1 hour", time.Hour}, {"2 hours", 2 * time.Hour}, {"4 hours", 4 * time.Hour}, {"8 hours", 8 * time.Hour}, {"1 day", 24 * time.Hour}, {"3 days", 72 * time.Hour}, {"1 week", 7 * 24 * time.Hour}}
