package slack_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack/slacktest"

	"github.com/flowslo/flowslo/store"
	"github.com/flowslo/flowslo/store/chdb/chdbtest"
)

func TestMain(m *testing.M) { chdbtest.Main(m) }

// openStore opens the real embedded store in a fresh database.
func openStore(t testing.TB) store.Store { return chdbtest.Open(t) }

// call is one request the fake Slack received.
type call struct {
	Method, Channel, TS, ThreadTS, Text string
	Blocks                              string
	At                                  time.Time
}

// fakeSlack is slacktest's server with chat.postMessage and chat.update
// handlers that record every call and answer with scripted failures.
type fakeSlack struct {
	srv   *slacktest.Server
	mu    sync.Mutex
	calls []call
	seq   int
	// fail, when set, answers call n (1-based) of method instead of the
	// normal reply: status (429 sets Retry-After: retryAfter) or a Slack
	// error code with HTTP 200.
	fail func(method string, n int) (status int, slackErr string)
	got  chan call
}

func newFakeSlack(t testing.TB) *fakeSlack {
	f := &fakeSlack{got: make(chan call, 100)}
	f.srv = slacktest.NewTestServer(func(c slacktest.Customize) {
		c.Handle("/chat.postMessage", f.handler("chat.postMessage"))
		c.Handle("/chat.update", f.handler("chat.update"))
	})
	f.srv.Start()
	t.Cleanup(f.srv.Stop)
	return f
}

func (f *fakeSlack) url() string { return f.srv.GetAPIURL() }

func (f *fakeSlack) handler(method string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		c := call{Method: method, Channel: r.FormValue("channel"), TS: r.FormValue("ts"), ThreadTS: r.FormValue("thread_ts"),
			Text: r.FormValue("text"), Blocks: r.FormValue("blocks"), At: time.Now()}
		f.mu.Lock()
		n := 0
		for _, x := range f.calls {
			if strings.HasPrefix(x.Method, method) {
				n++
			}
		}
		n++
		fail := f.fail
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if fail != nil {
			if status, code := fail(method, n); status == http.StatusTooManyRequests {
				w.Header().Set("Retry-After", "1")
				w.WriteHeader(status)
				f.record(call{Method: method + ":429", At: c.At})
				return
			} else if code != "" {
				json.NewEncoder(w).Encode(map[string]any{"ok": false, "error": code})
				f.record(call{Method: method + ":" + code, At: c.At})
				return
			}
		}
		f.mu.Lock()
		f.seq++
		ts := fmt.Sprintf("1700000000.%06d", f.seq)
		f.mu.Unlock()
		if c.TS != "" {
			ts = c.TS
		}
		f.record(c)
		channel := "C" + strings.ToUpper(strings.TrimPrefix(c.Channel, "#"))
		if strings.HasPrefix(c.Channel, "C") {
			channel = c.Channel
		}
		json.NewEncoder(w).Encode(map[string]any{"ok": true, "channel": channel, "ts": ts})
	}
}

func (f *fakeSlack) record(c call) {
	f.mu.Lock()
	f.calls = append(f.calls, c)
	f.mu.Unlock()
	select {
	case f.got <- c:
	default:
	}
}

func (f *fakeSlack) all() []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]call(nil), f.calls...)
}

func (f *fakeSlack) methods() []string {
	var out []string
	for _, c := range f.all() {
		m := c.Method
		if c.ThreadTS != "" {
			m += " (thread)"
		}
		out = append(out, m)
	}
	return out
}
