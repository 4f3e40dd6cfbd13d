package alerting

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/flowslo/flowslo/slo"
	"github.com/flowslo/flowslo/store"
)

// Silence keeps the alerts of one SLO, or of every SLO of a flow, from being
// sent until EndsAt. Silenced alerts are still evaluated and recorded.
type Silence struct {
	ID        string     `json:"id"`
	SLO       string     `json:"slo,omitempty"`
	Flow      string     `json:"flow,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	EndsAt    time.Time  `json:"ends_at"`
	CreatedBy string     `json:"created_by"`
	Comment   string     `json:"comment"`
	ExpiredAt *time.Time `json:"expired_at,omitempty"` // set when expired early
	Active    bool       `json:"active"`
}

// SilenceInput is a request to create a silence: exactly one of SLO and
// Flow, until when, who and why.
type SilenceInput struct {
	SLO       string    `json:"slo,omitempty"`
	Flow      string    `json:"flow,omitempty"`
	Until     time.Time `json:"until"`
	CreatedBy string    `json:"created_by"`
	Comment   string    `json:"comment"`
}

// MaxSilence is the longest a silence may last.
const MaxSilence = 90 * 24 * time.Hour

// Field limits of a silence: it is shown on every alerts page and in
// Slack, so a comment is a sentence or two, not a document.
const (
	MaxCommentBytes   = 1000
	MaxCreatedByBytes = 200
	MaxNameBytes      = 200 // an SLO or flow name
)

// InputError lists every problem with a request; the API answers 400.
type InputError struct{ Problems []string }

func (e *InputError) Error() string { return strings.Join(e.Problems, "; ") }

// ErrNotFound: no such silence; the API answers 404.
var ErrNotFound = errors.New("not found")

// ValidateSilence checks in against the known SLOs at now and reports every
// problem at once as an *InputError.
func ValidateSilence(in SilenceInput, slos []*slo.SLO, now time.Time) error {
	var p []string
	switch {
	case in.SLO == "" && in.Flow == "":
		p = append(p, `say what to silence: "slo": "login-success" or "flow": "login"`)
	case in.SLO != "" && in.Flow != "":
		p = append(p, `"slo" and "flow" are both set: silence one SLO or one flow`)
	case len(in.SLO) > MaxNameBytes || len(in.Flow) > MaxNameBytes:
		// reported by fieldLengths, without quoting the name back
	case in.SLO != "" && !knownSLO(slos, in.SLO):
		p = append(p, fmt.Sprintf("no SLO is named %q: known SLOs are %s", in.SLO, names(slos, func(s *slo.SLO) string { return s.Name })))
	case in.Flow != "" && !knownFlow(slos, in.Flow):
		p = append(p, fmt.Sprintf("no SLO has flow %q: known flows are %s", in.Flow, names(slos, func(s *slo.SLO) string { return s.Flow })))
	}
	switch {
	case in.Until.IsZero():
		p = append(p, `"until" is missing: give an RFC 3339 time, e.g. "`+now.Add(2*time.Hour).UTC().Format(time.RFC3339)+`"`)
	case !in.Until.After(now):
		p = append(p, fmt.Sprintf(`"until" %s is not in the future`, in.Until.UTC().Format(time.RFC3339)))
	case in.Until.Sub(now) > MaxSilence:
		p = append(p, `"until" is more than 90 days ahead: silence for less, or change the SLO's alerting`)
	}
	if strings.TrimSpace(in.CreatedBy) == "" {
		p = append(p, `"created_by" is missing: say who is silencing`)
	}
	if strings.TrimSpace(in.Comment) == "" {
		p = append(p, `"comment" is missing: say why, e.g. "planned maintenance of auth-db"`)
	}
	p = append(p, fieldLengths(in)...)
	if len(p) > 0 {
		return &InputError{Problems: p}
	}
	return nil
}

func fieldLengths(in SilenceInput) []string {
	var p []string
	for _, f := range []struct {
		name, v string
		limit   int
	}{{"comment", in.Comment, MaxCommentBytes}, {"created_by", in.CreatedBy, MaxCreatedByBytes},
		{"slo", in.SLO, MaxNameBytes}, {"flow", in.Flow, MaxNameBytes}} {
		if len(f.v) > f.limit {
			p = append(p, fmt.Sprintf("%q is %d bytes: keep it under %d", f.name, len(f.v), f.limit))
		}
	}
	return p
}

func knownSLO(slos []*slo.SLO, name string) bool {
	for _, s := range slos {
		if s.Name == name {
			return true
		}
	}
	return false
}

func knownFlow(slos []*slo.SLO, flow string) bool {
	for _, s := range slos {
		if s.Flow == flow {
			return true
		}
	}
	return false
}

func names(slos []*slo.SLO, f func(*slo.SLO) string) string {
	seen := map[string]bool{}
	var out []string
	for _, s := range slos {
		if n := f(s); !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, ", ")
}

// matches reports whether s silences SLO x at t.
func (s Silence) matches(x *slo.SLO, t time.Time) bool {
	if s.ExpiredAt != nil || !t.Before(s.EndsAt) {
		return false
	}
	return (s.SLO != "" && s.SLO == x.Name) || (s.Flow != "" && s.Flow == x.Flow)
}

func newSilenceID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func saveSilence(ctx context.Context, st Store, s Silence) error {
	var expired time.Time
	if s.ExpiredAt != nil {
		expired = *s.ExpiredAt
	}
	err := st.Exec(ctx, `INSERT INTO alerting_silences (id, slo, flow, created_at, ends_at, created_by, comment, expired_at, updated_at)
SELECT {id:String}, {slo:String}, {flow:String}, fromUnixTimestamp64Milli({created:Int64}, 'UTC'),
	fromUnixTimestamp64Milli({ends:Int64}, 'UTC'), {by:String}, {comment:String},
	fromUnixTimestamp64Milli({expired:Int64}, 'UTC'), fromUnixTimestamp64Micro({v:Int64}, 'UTC')`, store.Params{
		"id": s.ID, "slo": s.SLO, "flow": s.Flow, "created": ms(s.CreatedAt), "ends": ms(s.EndsAt),
		"by": s.CreatedBy, "comment": s.Comment, "expired": ms(expired), "v": nextVersion(),
	})
	if err != nil {
		return fmt.Errorf("save silence: %w", err)
	}
	return nil
}

// loadSilences returns the silences that ended after since, newest first.
func loadSilences(ctx context.Context, st Store, since, now time.Time) ([]Silence, error) {
	rows, err := st.Query(ctx, `SELECT id, slo, flow, toUnixTimestamp64Milli(created_at), toUnixTimestamp64Milli(ends_at),
	created_by, comment, toUnixTimestamp64Milli(expired_at) FROM alerting_silences FINAL
WHERE ends_at >= fromUnixTimestamp64Milli({since:Int64}, 'UTC') ORDER BY created_at DESC LIMIT 1000`,
		store.Params{"since": ms(since)})
	if err != nil {
		return nil, fmt.Errorf("load silences: %w", err)
	}
	defer rows.Close()
	var out []Silence
	for rows.Next() {
		var s Silence
		var created, ends, expired int64
		if err := rows.Scan(&s.ID, &s.SLO, &s.Flow, &created, &ends, &s.CreatedBy, &s.Comment, &expired); err != nil {
			return nil, fmt.Errorf("load silences: %w", err)
		}
		s.CreatedAt, s.EndsAt = fromMS(created), fromMS(ends)
		if expired != 0 {
			t := fromMS(expired)
			s.ExpiredAt = &t
		}
		s.Active = s.ExpiredAt == nil && now.Before(s.EndsAt)
		out = append(out, s)
	}
	return out, rows.Err()
}
