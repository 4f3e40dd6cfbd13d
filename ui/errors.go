package ui

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"

	"github.com/labstack/echo/v4"

	"github.com/flowslo/flowslo/slo/engine"
)

// apiError is an error with the HTTP status it maps to. Handlers return
// these; errorHandler is the one place that turns them into responses.
type apiError struct {
	status  int
	message string
	cause   error
}

func (e *apiError) Error() string {
	if e.cause != nil {
		return e.message + ": " + e.cause.Error()
	}
	return e.message
}

func (e *apiError) Unwrap() error { return e.cause }

func badRequest(format string, args ...any) error {
	return &apiError{status: http.StatusBadRequest, message: fmt.Sprintf(format, args...)}
}

func notFound(format string, args ...any) error {
	return &apiError{status: http.StatusNotFound, message: fmt.Sprintf(format, args...)}
}

// unavailable: the store failed. The answer names what was being read
// and no more; the cause (which may quote SQL) goes to the log.
func unavailable(what string, cause error) error {
	msg := what
	if cause != nil {
		msg += ": the store did not answer; the server log has the details"
	}
	return &apiError{status: http.StatusServiceUnavailable, message: msg, cause: cause}
}

// hideCause logs err and gives a page the short form of it.
func (s *Server) hideCause(c echo.Context, what string, err error) string {
	path := ""
	if c != nil {
		path = c.Path()
	}
	s.opts.Logger.Error("read failed", "what", what, "path", path, "err", err)
	return "could not read " + what + ": the store did not answer; the server log has the details"
}

// errorHandler writes every error as {"error": "..."} with its status.
func errorHandler(log *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		status, msg := http.StatusInternalServerError, "internal error"
		var ae *apiError
		var he *echo.HTTPError
		switch {
		case errors.Is(err, engine.ErrUnknownSLO):
			status, msg = http.StatusNotFound, err.Error()+": GET /api/v1/slos lists the SLOs flowslo knows"
		case errors.Is(err, engine.ErrUnknownRelease):
			status, msg = http.StatusNotFound, err.Error()
		case errors.Is(err, engine.ErrBadRequest):
			status, msg = http.StatusBadRequest, err.Error()
		case errors.As(err, &ae):
			status, msg = ae.status, ae.message // the cause may hold SQL: logged below, never sent
		case errors.As(err, &he) && he.Code == http.StatusNotFound:
			status, msg = http.StatusNotFound, "no such API path: "+c.Request().URL.Path+" (the API is described in the README)"
		case errors.As(err, &he):
			status, msg = he.Code, fmt.Sprint(he.Message)
		}
		if status >= 500 || (ae != nil && ae.cause != nil) {
			log.Error("request failed", "method", c.Request().Method, "path", c.Path(), "err", err)
		}
		_ = c.JSON(status, map[string]string{"error": msg})
	}
}

// recoverMiddleware turns a handler panic into a 500 and a logged stack, so
// one bad request never takes the process down.
func recoverMiddleware(log *slog.Logger) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) (err error) {
			defer func() {
				if r := recover(); r != nil {
					log.Error("handler panic", "path", c.Path(), "panic", r, "stack", string(debug.Stack()))
					err = &apiError{status: http.StatusInternalServerError, message: "internal error"}
				}
			}()
			return next(c)
		}
	}
}
