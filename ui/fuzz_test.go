package ui

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
)

// FuzzAPIQueryParams sends arbitrary query parameters (ranges, steps,
// slices, limits, names) to the API's read endpoints. Every answer must be
// JSON with a 2xx or 4xx status (bad input is the client's to fix); a 5xx,
// a panic or a non-JSON body fails. `make test` runs it briefly.
func FuzzAPIQueryParams(f *testing.F) {
	for _, s := range [][5]string{
		{"", "", "", "", ""},
		{"2026-11-26T09:00:00Z", "2026-11-26T10:00:00Z", "5m", "ios", "10"},
		{"1764147600", "1764151200", "60", "", "100"},
		{"-9223372036854775808", "9223372036854775807", "1ns", "\x00", "0"},
		{"2026-11-26T10:00:00Z", "2026-11-26T09:00:00Z", "-5m", "' OR 1=1 --", "-1"},
		{"2026-11-26T09:00:00+25:00", "now", "1e9h", "{{.}}", "1e3"},
		{"2026-11-26T09:00:00Z", "2026-11-26T10:00:00Z", "five minutes", "platform=ios", "x"},
	} {
		f.Add("login-success", s[0], s[1], s[2], s[3], s[4])
	}
	d := newDemo(3)
	h := newDemoServer(d, true).Handler()
	paths := []string{"/api/v1/slos/%s/series", "/api/v1/slos/%s/bad-by-slice", "/api/v1/slos/%s/examples", "/api/v1/slos/%s", "/api/v1/services", "/api/v1/flows", "/api/v1/traces/%s"}
	f.Fuzz(func(t *testing.T, name, from, to, step, slice, limit string) {
		q := url.Values{"from": {from}, "to": {to}, "step": {step}, "slice": {slice}, "limit": {limit}, "range": {step}, "flow": {slice}, "service": {slice}}
		for _, p := range paths {
			target := "http://localhost" + replaceName(p, url.PathEscape(name)) + "?" + q.Encode()
			r := newRequest(http.MethodGet, target, nil)
			w := send(h, r)
			if w.Code >= 500 || w.Code < 200 {
				t.Fatalf("GET %s: %d %s", target, w.Code, w.Body.String())
			}
			if !json.Valid(w.Body.Bytes()) {
				t.Fatalf("GET %s: %d, body is not JSON: %q", target, w.Code, w.Body.String())
			}
		}
	})
}

func replaceName(p, name string) string {
	for i := 0; i+1 < len(p); i++ {
		if p[i] == '%' && p[i+1] == 's' {
			return p[:i] + name + p[i+2:]
		}
	}
	return p
}
