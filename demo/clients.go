package demo

import (
	"fmt"
	"math/rand/v2"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/sdk/resource"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"
)

// The two app releases: 4.1.3 is what most phones run, 4.2.0 rolls out.
const (
	oldRelease = "4.1.3"
	newRelease = "4.2.0"
)

// device is one kind of phone.
type device struct{ os, osVersion, model, maker string }

var iosDevices = []device{
	{"iOS", "17.5", "iPhone15,2", "Apple"}, {"iOS", "18.1", "iPhone16,1", "Apple"}, {"iOS", "17.2", "iPhone14,7", "Apple"},
}

var androidDevices = []device{
	{"Android", "14", "SM-S918B", "samsung"}, {"Android", "14", "Pixel 8", "Google"}, {"Android", "13", "SM-A546B", "samsung"},
}

// iosShare is iOS's share of sessions.
const iosShare = 0.55

// sessionsPerClient is how many app sessions each kind of phone has open.
const sessionsPerClient = 256

// client is the app on one kind of phone at one release: its own tracer
// provider (device and app attributes are resource attributes), its open
// sessions, and the baggage it sends so the backend can tell releases and
// platforms apart.
type client struct {
	device
	version  string
	tracer   trace.Tracer
	sessions []attribute.KeyValue
	bag      baggage.Baggage
}

// clients holds the app's clients by platform and release.
type clients struct {
	ios, android [2][]*client // [0] 4.1.3, [1] 4.2.0
}

func newClients(t *telemetry, rng *rand.Rand) (*clients, error) {
	cs := &clients{}
	for r, version := range []string{oldRelease, newRelease} {
		for _, d := range iosDevices {
			c, err := newClient(t, rng, d, version)
			if err != nil {
				return nil, err
			}
			cs.ios[r] = append(cs.ios[r], c)
		}
		for _, d := range androidDevices {
			c, err := newClient(t, rng, d, version)
			if err != nil {
				return nil, err
			}
			cs.android[r] = append(cs.android[r], c)
		}
	}
	return cs, nil
}

func newClient(t *telemetry, rng *rand.Rand, d device, version string) (*client, error) {
	res := resource.NewWithAttributes(semconv.SchemaURL,
		semconv.ServiceName(appName), semconv.ServiceVersion(version), appVersionKey.String(version),
		semconv.DeploymentEnvironmentName(environment), semconv.OSName(d.os), semconv.OSVersion(d.osVersion),
		semconv.DeviceModelIdentifier(d.model), semconv.DeviceManufacturer(d.maker))
	c := &client{device: d, version: version}
	c.tracer = t.provider(t.appProcessor(), res).Tracer("flowslo/demo/app")
	for range sessionsPerClient {
		c.sessions = append(c.sessions, semconv.SessionID(fmt.Sprintf("%016x%016x", rng.Uint64(), rng.Uint64())))
	}
	av, err := baggage.NewMember(string(appVersionKey), version)
	if err != nil {
		return nil, fmt.Errorf("baggage: %w", err)
	}
	on, err := baggage.NewMember(string(semconv.OSNameKey), d.os)
	if err != nil {
		return nil, fmt.Errorf("baggage: %w", err)
	}
	if c.bag, err = baggage.New(av, on); err != nil {
		return nil, fmt.Errorf("baggage: %w", err)
	}
	return c, nil
}

// pick draws a phone: the platform by share, the release by 4.2.0's
// adoption, then a model and a session.
func (cs *clients) pick(rng *rand.Rand, adoption float64) (*client, attribute.KeyValue) {
	byRelease := cs.android
	if rng.Float64() < iosShare {
		byRelease = cs.ios
	}
	r := 0
	if rng.Float64() < adoption {
		r = 1
	}
	c := byRelease[r][rng.IntN(len(byRelease[r]))]
	return c, c.sessions[rng.IntN(len(c.sessions))]
}
