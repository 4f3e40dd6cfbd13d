package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/flowslo/flowslo/store/chdb"
	"github.com/flowslo/flowslo/store/chdb/chdbtest"
)

// These tests run the real binary as a separate process, because what they
// check — kill -9, SIGTERM, the start-up error without the library — is
// about the process, not the code inside it.

var binPath string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "flowslo-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binPath = filepath.Join(dir, "flowslo")
	build := exec.Command("go", "build", "-o", binPath, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0") // the shipped build needs no cgo
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build flowslo: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// server is one `flowslo serve` process.
type server struct {
	cmd      *exec.Cmd
	grpcAddr string
	httpAddr string
	done     chan error
	stderr   *lockedBuffer
}

var servingLine = regexp.MustCompile(`flowslo serving" http=(\S+) otlp_grpc=(\S+) otlp_http=(\S+)`)

func startServer(t *testing.T, dataDir string, flags ...string) *server {
	t.Helper()
	return startArgs(t, append([]string{"serve", "--data-dir", dataDir,
		"--http-addr", "127.0.0.1:0", "--otlp-grpc-addr", "127.0.0.1:0", "--otlp-http-addr", "127.0.0.1:0"}, flags...)...)
}

// startArgs runs the binary with args and waits until it serves.
func startArgs(t *testing.T, args ...string) *server {
	t.Helper()
	cmd := exec.Command(binPath, args...)
	pipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, done: make(chan error, 1), stderr: &lockedBuffer{}}
	found := make(chan []string, 1)
	go func() {
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			s.stderr.WriteLine(sc.Text())
			if m := servingLine.FindStringSubmatch(sc.Text()); m != nil {
				found <- m
			}
		}
		s.done <- cmd.Wait()
	}()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	select {
	case m := <-found:
		s.httpAddr, s.grpcAddr = m[1], m[2]
	case err := <-s.done:
		t.Fatalf("flowslo exited before serving: %v\n%s", err, s.stderr)
	case <-time.After(60 * time.Second):
		t.Fatalf("flowslo did not start within 60s\n%s", s.stderr)
	}
	return s
}

// sendUntil uploads batches of uniquely named spans from several clients
// until stop is closed, and returns the span IDs whose upload succeeded.
func sendUntil(t *testing.T, addr string, prefix string, stop <-chan struct{}) map[string]bool {
	t.Helper()
	var mu sync.Mutex
	acked := map[string]bool{}
	var wg sync.WaitGroup
	for c := range 4 {
		wg.Go(func() {
			client := otlptracegrpc.NewClient(otlptracegrpc.WithEndpoint(addr), otlptracegrpc.WithInsecure(),
				otlptracegrpc.WithRetry(otlptracegrpc.RetryConfig{Enabled: false}), otlptracegrpc.WithTimeout(5*time.Second))
			if err := client.Start(context.Background()); err != nil {
				t.Error(err)
				return
			}
			defer client.Stop(context.Background())
			for b := 0; ; b++ {
				select {
				case <-stop:
					return
				default:
				}
				batch, ids := spanBatch(fmt.Sprintf("%s%d-%d", prefix, c, b), 500)
				if err := client.UploadTraces(context.Background(), batch); err != nil {
					continue // not acknowledged: the client would retry; we only count successes
				}
				mu.Lock()
				for _, id := range ids {
					acked[id] = true
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return acked
}

// spanBatch builds n spans whose span IDs are hex of "tag" and an index.
func spanBatch(tag string, n int) ([]*tracepb.ResourceSpans, []string) {
	now := uint64(time.Now().UnixNano())
	spans := make([]*tracepb.Span, n)
	ids := make([]string, n)
	for i := range spans {
		spans[i] = &tracepb.Span{
			TraceId:           []byte(fmt.Sprintf("%-16.16s", tag)),
			SpanId:            []byte(fmt.Sprintf("%08x", uint32(len(tag)*1_000_003+i))),
			Name:              "POST /v1/login",
			Kind:              tracepb.Span_SPAN_KIND_SERVER,
			StartTimeUnixNano: now,
			EndTimeUnixNano:   now + 1_000_000,
			Attributes:        []*commonpb.KeyValue{str("test.key", fmt.Sprintf("%s/%d", tag, i))},
		}
		ids[i] = fmt.Sprintf("%s/%d", tag, i)
	}
	res := &resourcepb.Resource{Attributes: []*commonpb.KeyValue{str("service.name", "auth-api")}}
	return []*tracepb.ResourceSpans{{Resource: res, ScopeSpans: []*tracepb.ScopeSpans{{Spans: spans}}}}, ids
}

func str(k, v string) *commonpb.KeyValue {
	return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v}}}
}

func TestKill9DuringIngestLosesNothingAcknowledged(t *testing.T) {
	dataDir := t.TempDir()

	// First life: ingest under load, then kill -9 in the middle of it.
	s1 := startServer(t, dataDir)
	stop := make(chan struct{})
	var acked1 map[string]bool
	sent := make(chan struct{})
	go func() { acked1 = sendUntil(t, s1.grpcAddr, "a", stop); close(sent) }()
	time.Sleep(2 * time.Second)
	if err := s1.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-s1.done
	close(stop)
	<-sent
	if len(acked1) == 0 {
		t.Fatal("no batch was acknowledged before the kill; the test proves nothing")
	}

	// Second life: same data dir, more data, then a graceful SIGTERM.
	s2 := startServer(t, dataDir)
	stop2 := make(chan struct{})
	var acked2 map[string]bool
	sent2 := make(chan struct{})
	go func() { acked2 = sendUntil(t, s2.grpcAddr, "b", stop2); close(sent2) }()
	time.Sleep(time.Second)
	close(stop2)
	<-sent2
	if code, _ := httpGet(t, "http://"+s2.httpAddr+"/readyz"); code != http.StatusOK {
		t.Errorf("/readyz after restart = %d", code)
	}
	start := time.Now()
	if err := s2.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-s2.done:
		if err != nil {
			t.Errorf("exit after SIGTERM: %v, want status 0\n%s", err, s2.stderr)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("SIGTERM took %s, want under 10s", d)
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("flowslo still running 15s after SIGTERM\n%s", s2.stderr)
	}

	stored := storedKeys(t, dataDir)
	for _, acked := range []map[string]bool{acked1, acked2} {
		missing := 0
		for id := range acked {
			if stored[id] == 0 {
				missing++
			}
		}
		if missing > 0 {
			t.Errorf("%d of %d acknowledged spans missing after kill -9 and restart", missing, len(acked))
		}
	}
	for id, n := range stored {
		if n > 1 && (acked1[id] || acked2[id]) {
			t.Errorf("span %s stored %d times", id, n)
		}
	}
	t.Logf("acknowledged %d spans before kill -9 and %d after restart; %d distinct stored", len(acked1), len(acked2), len(stored))
}

// storedKeys opens the data dir with the embedded engine (the server has
// exited) and counts the rows for each test.key.
func storedKeys(t *testing.T, dataDir string) map[string]int {
	t.Helper()
	st, err := chdb.Open(context.Background(), chdb.Options{DataDir: dataDir})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	return chdbtest.CountBy(t, st, "SELECT SpanAttributes['test.key'], count() FROM otel_traces GROUP BY 1")
}

func TestMissingLibraryGivesOneClearLine(t *testing.T) {
	cmd := exec.Command(binPath, "serve", "--data-dir", t.TempDir(),
		"--http-addr", "127.0.0.1:0", "--otlp-grpc-addr", "127.0.0.1:0", "--otlp-http-addr", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), "FLOWSLO_CHDB_LIB=/nonexistent/libchdb.so")
	out, err := cmd.CombinedOutput()
	if exit, ok := err.(*exec.ExitError); !ok || exit.ExitCode() != 1 {
		t.Fatalf("exit = %v, want status 1\n%s", err, out)
	}
	text := strings.TrimSpace(string(out))
	if strings.Contains(text, "panic") || strings.Count(text, "\n") > 0 {
		t.Errorf("want one line without a panic, got:\n%s", text)
	}
	for _, want := range []string{"/nonexistent/libchdb.so", "make setup", "FLOWSLO_CHDB_LIB"} {
		if !strings.Contains(text, want) {
			t.Errorf("message %q does not mention %q", text, want)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	var stderr strings.Builder
	if code := run([]string{"frobnicate"}, io.Discard, &stderr); code != 2 || !strings.Contains(stderr.String(), `unknown command "frobnicate"`) {
		t.Errorf("unknown command: exit %d, %q", code, stderr.String())
	}
	stderr.Reset()
	if code := run([]string{"serve", "--no-such-flag"}, io.Discard, &stderr); code != 2 || !strings.Contains(stderr.String(), "no-such-flag") {
		t.Errorf("bad flag: exit %d, %q", code, stderr.String())
	}
}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// lockedBuffer collects a child's stderr for failure messages.
type lockedBuffer struct {
	mu    sync.Mutex
	lines []string
}

func (b *lockedBuffer) WriteLine(s string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.lines = append(b.lines, s)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Join(b.lines, "\n")
}
