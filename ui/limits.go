package ui

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
)

// Limits bound what one client can make the server do. Zero fields take
// the defaults noted.
type Limits struct {
	// MaxBodyBytes: larger request bodies get 413. Default 1 MiB: a
	// silence or a login form is a few hundred bytes.
	MaxBodyBytes int64
	// MaxParamBytes bounds each query parameter and form field value the
	// handlers read. Default 1 KiB.
	MaxParamBytes int
	// MaxHeavy is how many expensive reads (series, slices, examples,
	// traces, services) run at once; beyond it clients get 429 with
	// Retry-After. Default 4: two per core on the machines flowslo is
	// sized for, enough for a few dashboards while ingest keeps its share.
	MaxHeavy int
	// RetryAfter is the hint given with 429. Default 1 s.
	RetryAfter time.Duration
	// ReadTimeout, ReadHeaderTimeout and WriteTimeout bound a request's
	// read and its response's write; IdleTimeout a kept-alive connection.
	// Defaults 30 s, 10 s, 60 s and 120 s.
	ReadTimeout, ReadHeaderTimeout, WriteTimeout, IdleTimeout time.Duration
}

func (l Limits) withDefaults() Limits {
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	if l.MaxBodyBytes <= 0 {
		l.MaxBodyBytes = 1 << 20
	}
	if l.MaxParamBytes <= 0 {
		l.MaxParamBytes = 1 << 10
	}
	if l.MaxHeavy <= 0 {
		l.MaxHeavy = 4
	}
	def(&l.RetryAfter, time.Second)
	def(&l.ReadTimeout, 30*time.Second)
	def(&l.ReadHeaderTimeout, 10*time.Second)
	def(&l.WriteTimeout, 60*time.Second)
	def(&l.IdleTimeout, 120*time.Second)
	return l
}

// bodyLimit answers 413 to bodies over the limit: at once when the length
// is declared, and in place of whatever the handler made of a body cut at
// the limit (a bind error, a missing form field).
func bodyLimit(limit int64) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			if r.ContentLength > limit {
				return tooLarge(limit)
			}
			body := &cappedBody{ReadCloser: http.MaxBytesReader(c.Response(), r.Body, limit)}
			r.Body = body
			err := next(c)
			if body.hit && !c.Response().Committed {
				return tooLarge(limit)
			}
			return err
		}
	}
}

func tooLarge(limit int64) error {
	return &apiError{status: http.StatusRequestEntityTooLarge,
		message: fmt.Sprintf("request body over %d KiB: send less (a silence comment, for one, is a sentence or two)", limit>>10)}
}

// cappedBody remembers whether a read hit http.MaxBytesReader's limit.
type cappedBody struct {
	io.ReadCloser
	hit bool
}

func (b *cappedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	var mbe *http.MaxBytesError
	if err != nil && errors.As(err, &mbe) {
		b.hit = true
	}
	return n, err
}

// paramLimit refuses query parameters longer than any the handlers take
// (names, ids, times), before a handler passes one to a query.
func paramLimit(limit int) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			for name, vals := range c.Request().URL.Query() {
				for _, v := range vals {
					if len(v) > limit {
						return badRequest("query parameter %q is %d bytes: the limit is %d", name, len(v), limit)
					}
				}
			}
			return next(c)
		}
	}
}

// heavy bounds the expensive reads running at once. It does not queue:
// a client told 429 with Retry-After comes back later, while a queue
// would hold connections and memory during exactly the overload it is
// meant to survive.
type heavy struct {
	slots      chan struct{}
	retryAfter time.Duration
}

func newHeavy(n int, retryAfter time.Duration) *heavy {
	return &heavy{slots: make(chan struct{}, n), retryAfter: retryAfter}
}

func (h *heavy) middleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		select {
		case h.slots <- struct{}{}:
		default:
			secs := max(1, int(h.retryAfter.Round(time.Second)/time.Second))
			c.Response().Header().Set("Retry-After", strconv.Itoa(secs))
			return &apiError{status: http.StatusTooManyRequests,
				message: fmt.Sprintf("%d expensive requests are already running: retry in %d s", cap(h.slots), secs)}
		}
		defer func() { <-h.slots }()
		return next(c)
	}
}
