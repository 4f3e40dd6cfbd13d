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

	"github.com/flowslo/flowslo/store/chdb/chdbtest"
)

func TestMain(m *testing.M) { chdbtest.Main(m) }

// call is one request the fake Slack received.
type call struct {
	Method, Channel, TS, ThreadTS, Text string
	Blocks, Metadata                    string
	At                                  time.Time
}

// message is one message the fake Slack holds, as history returns it.
type message struct {
	channel, ts, threadTS string
	metadata              json.RawMessage
}

// fakeSlack is slacktest's server with handlers for what the receiver
// calls (chat.postMessage, chat.update, conversations.history, .replies
// and .list) that record every call, keep the messages posted, and fail
// when told to.
type fakeSlack struct {
	srv   *slacktest.Server
	mu    sync.Mutex
	calls []call
	msgs  []message
	seq   int
	// fail, when set, answers call n (1-based, per method) instead of the
	// normal reply: an HTTP status (429 sets Retry-After: 1; 5xx is a real
	// 5xx) or a Slack error code with HTTP 200.
	fail func(method string, n int) (status int, slackErr string)
	// hang, when set for a call, handles it (the message is posted) but
	// answers only when the client gave up: a timeout after the send.
	hang func(method string, n int) bool
	got  chan call
}

func newFakeSlack(t testing.TB) *fakeSlack {
	f := &fakeSlack{got: make(chan call, 1000)}
	f.srv = slacktest.NewTestServer(func(c slacktest.Customize) {
		c.Handle("/chat.postMessage", f.handler("chat.postMessage"))
		c.Handle("/chat.update", f.handler("chat.update"))
		c.Handle("/conversations.history", f.history)
		c.Handle("/conversations.replies", f.history)
		c.Handle("/conversations.list", f.list)
	})
	f.srv.Start()
	t.Cleanup(f.srv.Stop)
	return f
}

func (f *fakeSlack) url() string { return f.srv.GetAPIURL() }

func (f *fakeSlack) setFail(fn func(method string, n int) (int, string)) {
	f.mu.Lock()
	f.fail = fn
	f.mu.Unlock()
}

// down makes every call answer 503 (true) or work again (false).
func (f *fakeSlack) down(on bool) {
	if !on {
		f.setFail(nil)
		return
	}
	f.setFail(func(string, int) (int, string) { return http.StatusServiceUnavailable, "" })
}

// channelID is the ID the fake gives a channel name.
func channelID(ch string) string {
	if strings.HasPrefix(ch, "C") {
		return ch
	}
	return "C" + strings.ToUpper(strings.NewReplacer("#", "", "-", "").Replace(ch))
}

// count numbers the calls of one method (failed ones too).
func (f *fakeSlack) count(method string) int {
	n := 0
	for _, x := range f.calls {
		if strings.HasPrefix(x.Method, method) {
			n++
		}
	}
	return n + 1
}

// refuse answers with the scripted failure, if any; true when it did.
func (f *fakeSlack) refuse(w http.ResponseWriter, method string, n int, at time.Time) bool {
	f.mu.Lock()
	fail := f.fail
	f.mu.Unlock()
	if fail == nil {
		return false
	}
	status, code := fail(method, n)
	switch {
	case status == http.StatusTooManyRequests:
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(status)
		f.record(call{Method: method + ":429", At: at})
	case status >= 500:
		w.WriteHeader(status) // a real 5xx: not a success
		f.record(call{Method: fmt.Sprintf("%s:%d", method, status), At: at})
	case code != "":
		json.NewEncoder(w).Encode(map[string]any{"ok": false, "error": code})
		f.record(call{Method: method + ":" + code, At: at})
	default:
		return false
	}
	return true
}

func (f *fakeSlack) handler(method string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		c := call{Method: method, Channel: r.FormValue("channel"), TS: r.FormValue("ts"), ThreadTS: r.FormValue("thread_ts"),
			Text: r.FormValue("text"), Blocks: r.FormValue("blocks"), Metadata: r.FormValue("metadata"), At: time.Now()}
		f.mu.Lock()
		n := f.count(method)
		hang := f.hang != nil && f.hang(method, n)
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if f.refuse(w, method, n, c.At) {
			return
		}
		channel := channelID(c.Channel)
		f.mu.Lock()
		f.seq++
		ts := fmt.Sprintf("1700000000.%06d", f.seq)
		if c.TS != "" {
			ts = c.TS
		} else {
			f.msgs = append(f.msgs, message{channel: channel, ts: ts, threadTS: c.ThreadTS, metadata: json.RawMessage(c.Metadata)})
		}
		f.mu.Unlock()
		f.record(c)
		if hang {
			<-r.Context().Done() // posted, but the answer never reaches the client
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"ok": true, "channel": channel, "ts": ts})
	}
}

// history answers conversations.history (top-level messages of a channel)
// and conversations.replies (a thread), with metadata when asked.
func (f *fakeSlack) history(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	method := "conversations.history"
	if strings.HasSuffix(r.URL.Path, "replies") {
		method = "conversations.replies"
	}
	f.mu.Lock()
	n := f.count(method)
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if f.refuse(w, method, n, time.Now()) {
		return
	}
	f.record(call{Method: method, Channel: r.FormValue("channel"), TS: r.FormValue("ts"), At: time.Now()})
	withMeta := r.FormValue("include_all_metadata") == "1"
	var out []map[string]any
	f.mu.Lock()
	for _, m := range f.msgs {
		inThread := m.threadTS != "" && m.threadTS == r.FormValue("ts")
		if m.channel != r.FormValue("channel") || (method == "conversations.history") != (m.threadTS == "") ||
			(method == "conversations.replies" && !inThread) {
			continue
		}
		x := map[string]any{"type": "message", "ts": m.ts}
		if withMeta && len(m.metadata) > 0 {
			x["metadata"] = m.metadata
		}
		out = append(out, x)
	}
	f.mu.Unlock()
	json.NewEncoder(w).Encode(map[string]any{"ok": true, "messages": out})
}

func (f *fakeSlack) list(w http.ResponseWriter, r *http.Request) {
	f.record(call{Method: "conversations.list", At: time.Now()})
	w.Header().Set("Content-Type", "application/json")
	chans := []map[string]any{}
	for _, name := range []string{"oncall", "feed", "general"} {
		chans = append(chans, map[string]any{"id": channelID(name), "name": name})
	}
	json.NewEncoder(w).Encode(map[string]any{"ok": true, "channels": chans})
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

// writes lists the calls that post or update, failed ones included, with
// "(thread)" for thread replies: what people in the channel would see.
func (f *fakeSlack) writes() []string {
	var out []string
	for _, c := range f.all() {
		if !strings.HasPrefix(c.Method, "chat.") {
			continue
		}
		m := c.Method
		if c.ThreadTS != "" {
			m += " (thread)"
		}
		out = append(out, m)
	}
	return out
}

// posted lists the successful chat calls only.
func (f *fakeSlack) posted() []call {
	var out []call
	for _, c := range f.all() {
		if c.Method == "chat.postMessage" || c.Method == "chat.update" {
			out = append(out, c)
		}
	}
	return out
}
