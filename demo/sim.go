package demo

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// flow is one kind of app traffic and its share of a request unit.
type flow int

const (
	flowLogin flow = iota
	flowFeed
	flowCheckout
	flowPush // reminder and campaign pushes from push-worker itself
	numFlows
)

// mix is each flow's share of the app's requests on a normal day.
var mix = [numFlows]float64{flowLogin: 0.12, flowFeed: 0.6, flowCheckout: 0.08, flowPush: 0.1}

// timeline gives the moment at a timestamp: live or history.
type timeline interface{ at(ts time.Time) moment }

// sim makes the traffic. It runs in one goroutine: every draw from rng
// happens in a fixed order, which is what makes a seeded run reproducible.
type sim struct {
	rng     *rand.Rand
	seed    int64
	tel     *telemetry
	clients *clients
	carry   [numFlows]float64 // the fractions of requests not yet made
	msgSeq  uint64
	made    [numFlows]int64
}

func newSim(seed int64, tel *telemetry) (*sim, error) {
	s := &sim{rng: rand.New(rand.NewPCG(uint64(seed), 0xf10)), seed: seed, tel: tel}
	var err error
	if s.clients, err = newClients(tel, s.rng); err != nil {
		return nil, err
	}
	return s, nil
}

// tick makes the requests of [from, from+length) at rate requests per
// second (a request unit before the mix), each at a random instant.
func (s *sim) tick(tl timeline, from time.Time, length time.Duration, rate float64) {
	m := tl.at(from)
	units := rate * length.Seconds() * m.load
	if m.campaign > 0 {
		units *= campaignFactor
	}
	for f := range numFlows {
		want := units * mix[f]
		switch f {
		case flowLogin:
			want *= m.login
		case flowFeed:
			want *= m.feed
		}
		s.carry[f] += want
		n := math.Floor(s.carry[f])
		s.carry[f] -= n
		for range int(n) {
			s.request(f, from.Add(time.Duration(s.rng.Int64N(int64(length)))), m)
		}
		s.made[f] += int64(n)
	}
}

func (s *sim) request(f flow, ts time.Time, m moment) {
	if f == flowPush {
		campaign := ""
		if m.campaign > 0 {
			campaign = fmt.Sprintf("campaign-%d", m.campaign)
		}
		os := "Android"
		if s.rng.Float64() < iosShare {
			os = "iOS"
		}
		s.publishPush(context.Background(), s.tel.tracers["push-worker"], ts, m, os, campaign)
		return
	}
	c, session := s.clients.pick(s.rng, m.adoption)
	r := [...]route{flowLogin: loginRoute, flowFeed: feedRoute, flowCheckout: checkoutRoute}[f]
	s.call(r, c, session, ts, m, 0)
}

// lognormal draws a duration around median; sigma 0.3 puts p99 at ~2x.
func (s *sim) lognormal(median time.Duration, sigma float64) time.Duration {
	return time.Duration(float64(median) * math.Exp(sigma*s.rng.NormFloat64()))
}

// exp draws an exponential duration with the given mean (queue waits).
func (s *sim) exp(mean time.Duration) time.Duration {
	return time.Duration(float64(mean) * s.rng.ExpFloat64())
}

func (s *sim) chance(p float64) bool { return p > 0 && s.rng.Float64() < p }
