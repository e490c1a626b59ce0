package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/distributer/distributer"
)

// counter is a group subscription that counts deliveries by body.
type counter struct {
	mu      sync.Mutex
	bodies  map[string]int
	headers map[string]string
	n       int
}

func subscribeCounter(t *testing.T, ctx context.Context, d *distributer.Distributer, group string, patterns ...string) *counter {
	t.Helper()
	c := &counter{bodies: map[string]int{}}
	_, err := d.Subscribe(ctx, patterns, distributer.HandlerFunc(func(_ context.Context, m *distributer.Message) error {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.bodies[string(m.Body)]++
		c.headers = m.Headers
		c.n++
		return nil
	}), distributer.Group(group))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (c *counter) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// publish checks every message before publishing any, publishes files and
// stdin in confirmed batches with headers, resumes with -skip, and checks
// without a broker with -dry-run.
func TestPublish(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	raw := namespace(t, "workers")
	d, a := admin(t, ctx, raw)
	cnt := subscribeCounter(t, ctx, d, "workers", "orders.placed")
	dir := t.TempDir()
	var jsonl strings.Builder
	const n = 250
	for i := range n {
		fmt.Fprintf(&jsonl, `{"id": "o-%d", "qty": %d}`+"\n", i, i+1)
	}
	good := filepath.Join(dir, "orders.jsonl")
	if err := os.WriteFile(good, []byte(jsonl.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.jsonl")
	if err := os.WriteFile(bad, []byte(`{"id": "o-1", "qty": 1}`+"\n"+`{"id": "o-2", "qty": 0}`+"\n"+`{"id": "o-3", `+"\n"+`{"id": "o-4", "qty": 4}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := newCLI(t, envURL, raw, envSchemas, schemaDir)

	// An invalid file: every failure reported, nothing published.
	r := c.run(ctx, "publish", "orders.placed", bad).must(t, exitFailure, "invalid file")
	for _, want := range []string{
		bad + ":2: at /qty: must be >= 1 but found 0 (minimum)",
		bad + ":3: at (root): not JSON: unexpected end of JSON input",
		"2 of 4 message(s) in " + bad + " are invalid: nothing published",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	// -no-validate still refuses what is not JSON.
	c.run(ctx, "publish", "-no-validate", "orders.placed", bad).must(t, exitFailure, "not JSON")
	// A dry run needs no broker.
	r = c.run(ctx, "publish", "-url", "amqp://guest:guest@127.0.0.1:1/", "-dry-run", "orders.placed", good).must(t, exitOK, "dry run")
	if r.stdout != fmt.Sprintf("%d message(s) in %s are valid; would publish %d to orders.placed\n", n, good, n) {
		t.Errorf("dry run: %q", r.stdout)
	}
	time.Sleep(100 * time.Millisecond)
	if st, err := a.Stat(ctx, a.GroupQueue("workers")); err != nil || st.Messages != 0 || cnt.count() != 0 {
		t.Fatalf("something was published: %+v %v, %d delivered", st, err, cnt.count())
	}

	// The file, with a header, in batches of 40.
	r = c.run(ctx, "publish", "-header", "source=replay-tool", "-batch", "40", "orders.placed", good).must(t, exitOK, "publish")
	if !strings.HasPrefix(r.stdout, fmt.Sprintf("published %d message(s) to orders.placed in ", n)) {
		t.Errorf("summary: %q", r.stdout)
	}
	waitFor(t, ctx, "every message", func() bool { return cnt.count() == n })
	cnt.mu.Lock()
	if len(cnt.bodies) != n || cnt.headers["source"] != "replay-tool" {
		t.Errorf("%d distinct bodies, headers %v", len(cnt.bodies), cnt.headers)
	}
	cnt.mu.Unlock()

	// Stdin: one document, then concatenated ones; -skip resumes.
	c.stdin = `{"id": "o-900", "qty": 1} {"id": "o-901", "qty": 1}` + "\n" + `{"id": "o-902", "qty": 1}`
	r = c.run(ctx, "publish", "-skip", "1", "orders.placed", "-").must(t, exitOK, "stdin")
	if !strings.HasPrefix(r.stdout, "published 2 message(s) to orders.placed") {
		t.Errorf("summary: %q", r.stdout)
	}
	waitFor(t, ctx, "stdin's messages", func() bool { return cnt.count() == n+2 })
	cnt.mu.Lock()
	if cnt.bodies[`{"id": "o-900", "qty": 1}`] != 0 || cnt.bodies[`{"id": "o-902", "qty": 1}`] != 1 {
		t.Errorf("-skip 1: %v", cnt.bodies)
	}
	cnt.mu.Unlock()

	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"publish", "orders.placed", filepath.Join(dir, "missing.json")}, exitUsage, "no such file"},
		{[]string{"publish", "orders.placed", dir}, exitUsage, "is a directory"},
		{[]string{"publish", "-skip", "300", "orders.placed", good}, exitUsage, "nothing to publish"},
		{[]string{"publish", "-header", "x-distributer-topic=a", "orders.placed", good}, exitUsage, "the driver's or the broker's own"},
		{[]string{"publish", "-header", "nokey", "orders.placed", good}, exitUsage, "want NAME=VALUE"},
	} {
		c.stdin = ""
		if r := c.run(ctx, tc.args...); r.code != tc.code || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %s", tc.args, r.code, r.stderr)
		}
	}
	c.stdin = "  \n"
	c.run(ctx, "publish", "orders.placed").must(t, exitUsage, "empty stdin")
}

// On memory:// publish runs in distctl's own process: a Distributer of the
// same process on the same bus gets the messages.
func TestPublishMemory(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	d, err := distributer.Open(ctx, "memory://pubtest")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	cnt := subscribeCounter(t, ctx, d, "g", "#")
	c := newCLI(t, envURL, "memory://pubtest")
	c.stdin = "{\"a\": 1}\n{\"a\": 2}\n"
	c.run(ctx, "publish", "-no-validate", "misc.thing").must(t, exitOK, "publish on memory://")
	waitFor(t, ctx, "two messages", func() bool { return cnt.count() == 2 })
}

// On a terminal, publish draws a progress bar on stderr; elsewhere none.
func TestProgressBar(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var out, errb syncBuffer
	e := &env{stdin: strings.NewReader(strings.Repeat("{\"a\": 1}\n", 500)), stdout: &out, stderr: &errb,
		getenv: func(string) string { return "" }, now: time.Now, stderrTTY: true}
	if code := run(ctx, e, []string{"publish", "-url", "memory://bar", "-no-validate", "-batch", "50", "misc.thing"}); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if s := errb.String(); !strings.Contains(s, "\rpublishing [##############################] 100% 500/500 ") || !strings.HasSuffix(s, "\x1b[K\n") {
		t.Errorf("progress: %q", s)
	}
}

// An interrupt while distctl waits for an answer is a no.
func TestPromptInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	defer pw.Close()
	c := newCommand(&env{stdin: pr, stderr: io.Discard, getenv: func(string) string { return "" }}, "x", "")
	go func() { time.Sleep(50 * time.Millisecond); cancel() }()
	if c.confirm(ctx, "? ") {
		t.Fatal("an interrupted prompt said yes")
	}
	pw.Close() // ends the reader goroutine
	time.Sleep(10 * time.Millisecond)
}
