package slo

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	"github.com/flowslo/flowslo/slo/expr"
)

// definition is what the hash covers: what decides which events count and
// how (filters, latency threshold, slices), so a new hash means new counts
// and a backfill. The objective, window and alert settings change no
// count and are left out: changing them keeps the rollups. Expressions
// enter in canonical form, so reformatting a file or an expression keeps
// the hash.
type definition struct {
	Source    expr.Source `json:"source"`
	Total     string      `json:"total"`
	Good      string      `json:"good,omitempty"`
	Bad       string      `json:"bad,omitempty"`
	LatencyNS int64       `json:"latency_ns,omitempty"`
	Slices    []string    `json:"slices"`
	// ReleasePair: the pair slice counted for an SLO with a release slice.
	ReleasePair string `json:"release_pair,omitempty"`
}

// hash returns the definition hash of a valid SLO.
func hash(s *SLO) string {
	in := s.Indicator
	def := definition{
		Source:    in.Source,
		Total:     canonical(in.Source, in.Total),
		Good:      canonical(in.Source, in.Good),
		Bad:       canonical(in.Source, in.Bad),
		LatencyNS: in.Latency.Nanoseconds(),
	}
	for _, sl := range s.Slices {
		def.Slices = append(def.Slices, canonical(in.Source, sl))
	}
	if s.Release != nil {
		def.ReleasePair = pairVersion + " " + s.Release.Platform
	}
	b, _ := json.Marshal(def) // cannot fail: plain strings and numbers
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// pairVersion names how the pair slice is computed: a new way needs a new
// name, so that rollups counted the old way are not read as the new.
const pairVersion = "pair1"

func canonical(src expr.Source, text string) string {
	if text == "" {
		return ""
	}
	c, err := expr.Canonical(src, text)
	if err != nil {
		return text // unreachable for a validated SLO; keep the hash defined anyway
	}
	return c
}
