package engine

import "math"

// Comparison says whether two releases' shares of bad events differ by more
// than chance would explain.
type Comparison struct {
	// Enough is false when either side has fewer than the minimum events:
	// then nothing is tested and Significant is false.
	Enough bool `json:"enough"`
	// Test is "two-proportion z" or "fisher exact" (small counts), "" when
	// not tested.
	Test string `json:"test,omitempty"`
	// P is the two-sided p-value of "both have the same bad ratio".
	P float64 `json:"p_value"`
	// Significant is P < alpha.
	Significant bool `json:"significant"`
	// Worse: a's bad ratio is higher than b's (whether significant or not).
	Worse bool `json:"worse"`
}

// Compare tests a (the release) against b (the previous one) by their
// good and total counts, two-sided at level alpha, when each has at least
// minEvents events.
//
// The test is the pooled two-proportion z test when every expected cell of
// the 2×2 table (good/bad × a/b) is at least 5, the usual condition for
// its normal approximation, and Fisher's exact test otherwise: with the few
// bad events an SLO near its objective has, that is the common case for a
// release that has just started rolling out.
func Compare(goodA, totalA, goodB, totalB uint64, minEvents uint64, alpha float64) Comparison {
	goodA, goodB = min(goodA, totalA), min(goodB, totalB)
	c := Comparison{Enough: totalA >= max(minEvents, 1) && totalB >= max(minEvents, 1)}
	if totalA > 0 && totalB > 0 {
		c.Worse = float64(totalA-goodA)/float64(totalA) > float64(totalB-goodB)/float64(totalB)
	}
	if !c.Enough {
		return c
	}
	badA, badB := totalA-goodA, totalB-goodB
	if minExpected(badA, badB, totalA, totalB) >= 5 {
		c.Test, c.P = "two-proportion z", zTestP(badA, totalA, badB, totalB)
	} else {
		c.Test, c.P = "fisher exact", fisherP(badA, totalA, badB, totalB)
	}
	c.Significant = c.P < alpha
	return c
}

// minExpected is the smallest expected count of the 2×2 table under the
// hypothesis that a and b share one bad ratio.
func minExpected(badA, badB, totalA, totalB uint64) float64 {
	n := float64(totalA + totalB)
	bad := float64(badA + badB)
	good := n - bad
	small := math.Min(float64(totalA), float64(totalB))
	return math.Min(small*bad/n, small*good/n)
}

// zTestP is the two-sided p-value of the pooled two-proportion z test.
func zTestP(badA, totalA, badB, totalB uint64) float64 {
	na, nb := float64(totalA), float64(totalB)
	pa, pb := float64(badA)/na, float64(badB)/nb
	pool := float64(badA+badB) / (na + nb)
	se := math.Sqrt(pool * (1 - pool) * (1/na + 1/nb))
	if se == 0 {
		return 1
	}
	z := (pa - pb) / se
	return math.Erfc(math.Abs(z) / math.Sqrt2)
}

// fisherP is the two-sided p-value of Fisher's exact test on the table
// [[badA, goodA], [badB, goodB]]: the sum of the hypergeometric
// probabilities of every table with the same margins that is at most as
// likely as the one observed. The support has at most badA+badB+1 tables.
func fisherP(badA, totalA, badB, totalB uint64) float64 {
	n, k, na := int64(totalA+totalB), int64(badA+badB), int64(totalA)
	lo, hi := max(0, k-(n-na)), min(k, na)
	observed := logHyper(int64(badA), n, k, na)
	var p float64
	for x := lo; x <= hi; x++ {
		if lp := logHyper(x, n, k, na); lp <= observed+1e-7 {
			p += math.Exp(lp)
		}
	}
	return math.Min(1, p)
}

// logHyper is the log probability that x of the k bad events fall in a, of
// n events of which na are a's.
func logHyper(x, n, k, na int64) float64 {
	return logChoose(na, x) + logChoose(n-na, k-x) - logChoose(n, k)
}

func logChoose(n, k int64) float64 {
	a, _ := math.Lgamma(float64(n + 1))
	b, _ := math.Lgamma(float64(k + 1))
	c, _ := math.Lgamma(float64(n - k + 1))
	return a - b - c
}
