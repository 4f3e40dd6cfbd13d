package slo

import (
	"slices"
	"strings"

	"github.com/flowslo/flowslo/slo/expr"
)

// An SLO with a release slice (service.version, app.version) is judged per
// release, and each release is split by platform. The rollups keep each
// slice apart, so the pair is counted as one more slice of its own: the
// release and the platform joined by PairSep, appended to SLI.Slices after
// the declared slices (slice_key len(Slices)). It is not one of Slices:
// pages and the slice cap never show it. It enters the definition hash,
// so adding it (or changing the platform) backfills like any new slice.

// PairSep joins release and platform in the pair slice's values.
const PairSep = "\x1f"

// DefaultPlatform is the platform of an SLO without a platform slice: the
// event's app.platform, else its resource's os.name (lowercased).
const DefaultPlatform = `attributes["app.platform"], else resource.attributes["os.name"]`

// releaseWords and platformWords tell a slice expression that names a
// release or a platform.
var (
	releaseWords  = []string{"service.version", "app.version", "app_version", "appversion", "release"}
	platformWords = []string{"app.platform", "os.name", "os.type", "platform"}
)

// ReleaseSlice says whether a slice expression names a release.
func ReleaseSlice(expr string) bool { return containsAny(expr, releaseWords) }

// PlatformSlice says whether a slice expression names a platform.
func PlatformSlice(expr string) bool { return containsAny(expr, platformWords) }

func containsAny(s string, words []string) bool {
	s = strings.ToLower(s)
	return slices.ContainsFunc(words, func(w string) bool { return strings.Contains(s, w) })
}

// ReleasePair says where an SLO's release and platform are counted.
type ReleasePair struct {
	Release  int    // index in Slices of the release slice
	Platform string // what the platform is read from: a slice, or DefaultPlatform
	Key      int    // index in SLI.Slices of the pair slice (its slice_key)
}

// checkReleasePair appends the pair slice to an SLO with a release slice.
func checkReleasePair(d *draft) {
	s := d.slo
	r := slices.IndexFunc(s.Slices, ReleaseSlice)
	if r < 0 || len(s.SLI.Slices) != len(s.Slices) {
		return // no release, or a slice did not compile (reported)
	}
	platform, text := defaultPlatform(s.Indicator.Source)
	if j := slices.IndexFunc(s.Slices, PlatformSlice); j >= 0 {
		platform, text = s.SLI.Slices[j], s.Slices[j]
	}
	if platform.SQL == "" {
		return
	}
	s.Release = &ReleasePair{Release: r, Platform: text, Key: len(s.SLI.Slices)}
	s.SLI.Slices = append(s.SLI.Slices, pairOf(s.SLI.Slices[r], platform))
}

// pairOf is "release PairSep platform", an empty platform as "unknown".
func pairOf(release, platform expr.Compiled) expr.Compiled {
	p := expr.Params{}
	for _, c := range []expr.Compiled{release, platform} {
		for k, v := range c.Params {
			p[k] = v
		}
	}
	sql := "concat(toString(" + release.SQL + "), '" + PairSep + "', if(toString(" + platform.SQL + ") = '', 'unknown', toString(" + platform.SQL + ")))"
	return expr.Compiled{SQL: sql, Params: p}
}

// defaultPlatform compiles DefaultPlatform for src ("" SQL if it cannot).
func defaultPlatform(src expr.Source) (expr.Compiled, string) {
	a, err1 := expr.CompileValue(src, `attributes["app.platform"]`, expr.WithPrefix("rpa_"))
	b, err2 := expr.CompileValue(src, `resource.attributes["os.name"]`, expr.WithPrefix("rpb_"))
	if err1 != nil || err2 != nil {
		return expr.Compiled{}, ""
	}
	p := expr.Params{}
	for _, c := range []expr.Compiled{a, b} {
		for k, v := range c.Params {
			p[k] = v
		}
	}
	return expr.Compiled{SQL: "if((" + a.SQL + ") != '', " + a.SQL + ", lower(" + b.SQL + "))", Params: p}, DefaultPlatform
}

// SplitPair splits a pair slice value into release and platform.
func SplitPair(v string) (release, platform string) {
	release, platform, _ = strings.Cut(v, PairSep)
	return release, platform
}
