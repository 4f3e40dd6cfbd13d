package engine

import (
	"math"
	"testing"
)

// TestCompareHandComputed checks the significance test against values
// worked out by hand (z = (p_a − p_b) / sqrt(p(1−p)(1/n_a + 1/n_b)) with
// the pooled p; Fisher from binomial coefficients).
func TestCompareHandComputed(t *testing.T) {
	for _, tc := range []struct {
		name                         string
		goodA, totalA, goodB, totalB uint64
		test                         string
		p                            float64
		significant, worse, enough   bool
	}{
		// 3% bad vs 1% bad of 10,000 each: pooled 2%, se 0.0019799, z 10.10.
		{"clearly worse", 9700, 10000, 9900, 10000, "two-proportion z", 5.439e-24, true, true, true},
		// 1% vs 0.5% of 1,000: pooled 0.75%, se 0.0038584, z 1.296, p 0.1950.
		{"worse by chance", 990, 1000, 995, 1000, "two-proportion z", 0.19502, false, true, true},
		// 1% vs 3% of 1,000: the release is better, significantly (z −3.194).
		{"better", 990, 1000, 970, 1000, "two-proportion z", 0.0014013, true, false, true},
		// 5 bad of 200 against none of 200: expected bad 2.5 < 5, so Fisher;
		// two-sided p = 2·C(200,5)/C(400,5) = 0.06094.
		{"five bad of 200", 195, 200, 200, 200, "fisher exact", 0.060940, false, true, true},
		// 6 of 200 against none: 2·C(200,6)/C(400,6) = 0.03008.
		{"six bad of 200", 194, 200, 200, 200, "fisher exact", 0.030084, true, true, true},
		// 2 of 20 against none of 20: (190 + 190) / 780 = 0.48718.
		{"tiny", 18, 20, 20, 20, "fisher exact", 0.487179, false, true, true},
		// Below the minimum of 100 events on one side: not tested.
		{"too few", 50, 99, 9900, 10000, "", 0, false, true, false},
	} {
		min := uint64(100)
		if tc.name == "tiny" {
			min = 20
		}
		c := Compare(tc.goodA, tc.totalA, tc.goodB, tc.totalB, min, 0.05)
		if c.Test != tc.test || c.Significant != tc.significant || c.Worse != tc.worse || c.Enough != tc.enough {
			t.Errorf("%s: %+v, want test %q significant %v worse %v enough %v", tc.name, c, tc.test, tc.significant, tc.worse, tc.enough)
		}
		if tc.p > 0 && math.Abs(c.P-tc.p)/tc.p > 1e-3 {
			t.Errorf("%s: p = %g, want %g", tc.name, c.P, tc.p)
		}
	}
}

func TestNewerVersion(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want bool
	}{{"4.10.0", "4.9.2", true}, {"4.2.0", "4.2.0-rc1", false}, {"4.1.3", "4.2.0", false}, {"v5", "4.9", true}} {
		if got := NewerVersion(c.a, c.b); got != c.want {
			t.Errorf("NewerVersion(%s, %s) = %v", c.a, c.b, got)
		}
	}
}
