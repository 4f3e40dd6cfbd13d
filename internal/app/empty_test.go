package app

import (
	"html"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/flowslo/flowslo/ui"
)

var testCommand = regexp.MustCompile(`(?s)<code id="test-command">(.*?)</code>`)

// TestEmptyStateCommandSendsASpanAndALog runs the command the empty flows
// page shows, as a newcomer would paste it into a shell: the page names
// the receivers' real (random) ports, and one span and one log arrive,
// the span counted by the example SLO it was made for.
func TestEmptyStateCommandSendsASpanAndALog(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl not installed: the command uses it")
	}
	a := startAppWith(t, func(o *Options) { o.SLOPath = "../../examples" })
	base := "http://" + a.HTTPAddr()
	_, body := get(t, base+"/")
	if !strings.Contains(body, a.OTLPHTTPAddr()) || !strings.Contains(body, a.OTLPGRPCAddr()) {
		t.Fatalf("the empty state does not name the receivers %s and %s", a.OTLPGRPCAddr(), a.OTLPHTTPAddr())
	}
	m := testCommand.FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no test command on the empty flows page")
	}
	out, err := exec.Command("bash", "-c", "set -e\n"+html.UnescapeString(m[1])).CombinedOutput()
	if err != nil {
		t.Fatalf("the test command failed: %v\n%s", err, out)
	}
	deadline := time.Now().Add(30 * time.Second)
	for stats(t, base) != (ui.Stats{Spans: 1, Logs: 1}) {
		if time.Now().After(deadline) {
			t.Fatalf("after the test command: %+v stored, want one span and one log (curl said %s)", stats(t, base), out)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// checkout-success (the first trace SLO by name) counts the span once
	// it is rolled up or read live.
	for {
		st, err := a.engine.StatusOf(t.Context(), "checkout-success")
		if err != nil {
			t.Fatal(err)
		}
		if st.Total == 1 {
			if st.Good != 1 {
				t.Errorf("the test span counts as bad in checkout-success: %+v", st)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("checkout-success did not count the test span: %+v", st)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
