package ui

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/flowslo/flowslo/slo/engine"
)

// FlowReleases compares the SLIs of a flow's SLOs by release.
type FlowReleases struct {
	Flow string        `json:"flow"`
	SLOs []SLOReleases `json:"slos"`
}

// SLOReleases is one SLO's SLI per release, newest release first.
type SLOReleases struct {
	SLO      string    `json:"slo"`
	Slice    string    `json:"slice"` // the slice expression naming the release
	Releases []Release `json:"releases"`
	// Summary compares the two newest releases in words:
	// "4.2.0 login-success 97.1% vs 4.1.3 99.8%".
	Summary string `json:"summary"`
	// Worse is true when the newest release's SLI is below the previous one's.
	Worse bool `json:"worse"`
}

// Release is an SLO's numbers for one release over the SLO window.
type Release struct {
	Version string   `json:"version"`
	Good    uint64   `json:"good"`
	Total   uint64   `json:"total"`
	SLI     *float64 `json:"sli"`
}

// releaseSlice tells a slice expression that names a release.
func releaseSlice(expr string) bool {
	for _, k := range []string{"service.version", "app.version", "app_version", "appversion", "release"} {
		if strings.Contains(strings.ToLower(expr), k) {
			return true
		}
	}
	return false
}

// releasesOf groups the release slices of statuses by flow (sorted); SLOs
// without a release slice are left out.
func releasesOf(statuses []engine.SLOStatus) []FlowReleases {
	byFlow := map[string]*FlowReleases{}
	for _, s := range statuses {
		r, ok := sloReleases(s)
		if !ok {
			continue
		}
		f := byFlow[s.Flow]
		if f == nil {
			f = &FlowReleases{Flow: s.Flow}
			byFlow[s.Flow] = f
		}
		f.SLOs = append(f.SLOs, r)
	}
	out := make([]FlowReleases, 0, len(byFlow))
	for _, f := range byFlow {
		out = append(out, *f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Flow < out[j].Flow })
	return out
}

func sloReleases(s engine.SLOStatus) (SLOReleases, bool) {
	r := SLOReleases{SLO: s.Name}
	for _, sl := range s.Slices {
		if !releaseSlice(sl.Slice) || sl.Value == "other" || sl.Value == "" || sl.Total == 0 {
			continue
		}
		if r.Slice != "" && r.Slice != sl.Slice {
			continue // the first release slice of the SLO decides
		}
		r.Slice = sl.Slice
		r.Releases = append(r.Releases, Release{Version: sl.Value, Good: sl.Good, Total: sl.Total, SLI: sl.SLI})
	}
	if len(r.Releases) == 0 {
		return r, false
	}
	sort.Slice(r.Releases, func(i, j int) bool { return newerVersion(r.Releases[i].Version, r.Releases[j].Version) })
	r.Summary, r.Worse = compareReleases(s.Name, r.Releases)
	return r, true
}

func compareReleases(name string, rs []Release) (string, bool) {
	if len(rs) == 1 {
		return fmt.Sprintf("%s %s %s (only release seen)", rs[0].Version, name, pctText(rs[0].SLI)), false
	}
	a, b := rs[0], rs[1]
	worse := a.SLI != nil && b.SLI != nil && *a.SLI < *b.SLI
	return fmt.Sprintf("%s %s %s vs %s %s", a.Version, name, pctText(a.SLI), b.Version, pctText(b.SLI)), worse
}

// newerVersion orders versions by their numeric parts ("4.10.0" after
// "4.9.2"), then as text.
func newerVersion(a, b string) bool {
	pa, pb := versionParts(a), versionParts(b)
	for i := 0; i < len(pa) && i < len(pb); i++ {
		if pa[i] != pb[i] {
			return pa[i] > pb[i]
		}
	}
	if len(pa) != len(pb) {
		return len(pa) > len(pb)
	}
	return a > b
}

func versionParts(v string) []int {
	var out []int
	for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r < '0' || r > '9' }) {
		n, _ := strconv.Atoi(f)
		out = append(out, n)
	}
	return out
}

// pctText writes a ratio as a percentage with enough digits for SLOs
// (99.95%), or "no data".
func pctText(f *float64) string {
	if f == nil {
		return "no data"
	}
	return pct(*f)
}

func pct(f float64) string {
	v := f * 100
	switch {
	case v >= 99 && v < 100:
		return strconv.FormatFloat(math.Floor(v*100+1e-6)/100, 'f', 2, 64) + "%"
	case v > 0 && v < 1:
		return strconv.FormatFloat(v, 'f', 2, 64) + "%"
	case v == 100 || v == 0:
		return strconv.FormatFloat(v, 'f', 0, 64) + "%"
	}
	return strconv.FormatFloat(v, 'f', 1, 64) + "%"
}
