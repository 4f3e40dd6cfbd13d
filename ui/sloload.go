package ui

import "time"

// SLOLoadError is a reload of the SLO files that was refused: the files
// on disk are broken, and the last good definitions stay in force until
// they are fixed. The Flows page shows it as a banner, the flows and SLOs
// API as slo_load_error, so a bad edit is seen where the SLOs are read,
// not only in the log.
type SLOLoadError struct {
	Path     string       `json:"path"` // the SLO file or directory
	Problems []SLOProblem `json:"problems"`
	At       time.Time    `json:"at"`            // when the reload was refused
	InForce  int          `json:"slos_in_force"` // the last good set still evaluated
}

// SLOProblem is one problem of a refused reload; File and Line are empty
// when the problem is not in one file (an unknown receiver, say).
type SLOProblem struct {
	File    string `json:"file,omitempty"`
	Line    int    `json:"line,omitempty"`
	Message string `json:"message"`
}

// Files are the files the problems name, each once, in order.
func (e *SLOLoadError) Files() []string {
	var out []string
	seen := map[string]bool{}
	for _, p := range e.Problems {
		if p.File != "" && !seen[p.File] {
			seen[p.File] = true
			out = append(out, p.File)
		}
	}
	return out
}

func (s *Server) sloLoadError() *SLOLoadError {
	if s.opts.SLOLoadError == nil {
		return nil
	}
	return s.opts.SLOLoadError()
}
