package alerting

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/flowslo/flowslo/slo"
)

// TestSilenceFieldLimits: an oversized comment, author or name is refused
// with a message that gives the limit, and is not quoted back.
func TestSilenceFieldLimits(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	slos := []*slo.SLO{{Name: "login-success", Flow: "login"}}
	ok := SilenceInput{SLO: "login-success", Until: now.Add(time.Hour), CreatedBy: "ana", Comment: "deploy"}
	if err := ValidateSilence(ok, slos, now); err != nil {
		t.Fatalf("valid silence: %v", err)
	}
	for _, c := range []struct {
		field string
		mod   func(*SilenceInput)
	}{
		{"comment", func(in *SilenceInput) { in.Comment = strings.Repeat("x", MaxCommentBytes+1) }},
		{"created_by", func(in *SilenceInput) { in.CreatedBy = strings.Repeat("x", MaxCreatedByBytes+1) }},
		{"slo", func(in *SilenceInput) { in.SLO = strings.Repeat("x", MaxNameBytes+1) }},
	} {
		in := ok
		c.mod(&in)
		err := ValidateSilence(in, slos, now)
		var ie *InputError
		if !errors.As(err, &ie) || !strings.Contains(err.Error(), `"`+c.field+`" is`) || !strings.Contains(err.Error(), "keep it under") {
			t.Errorf("%s over its limit: %v", c.field, err)
		}
		if err != nil && len(err.Error()) > 300 {
			t.Errorf("%s: the error quotes the input back (%d bytes)", c.field, len(err.Error()))
		}
	}
	in := ok
	in.Comment = strings.Repeat("x", MaxCommentBytes)
	if err := ValidateSilence(in, slos, now); err != nil {
		t.Errorf("comment at the limit: %v", err)
	}
}
