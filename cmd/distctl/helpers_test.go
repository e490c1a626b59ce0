package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"
	"go.uber.org/goleak"

	"github.com/distributer/distributer"
	"github.com/distributer/distributer/drivers/amqp"
)

// No command may leave a goroutine behind. With DISTCTL_TEST_MAIN=1 the
// test binary is distctl itself (main), for the tests that must kill a
// running command.
func TestMain(m *testing.M) {
	if os.Getenv("DISTCTL_TEST_MAIN") == "1" {
		main()
		return
	}
	goleak.VerifyTestMain(m)
}

const schemaDir = "testdata/schemas"

// broker returns the URL of the RabbitMQ the tests use: DISTRIBUTER_AMQP_URL
// or the local one. The tests never skip: without a broker they fail (make
// test starts it with scripts/ensure-rabbitmq.sh).
func broker(t testing.TB) string {
	t.Helper()
	raw := os.Getenv("DISTRIBUTER_AMQP_URL")
	if raw == "" {
		raw = "amqp://guest:guest@127.0.0.1:5672/"
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), "5672")
	}
	c, err := net.DialTimeout("tcp", host, 2*time.Second)
	if err != nil {
		t.Fatalf("no RabbitMQ at %s (%v): run scripts/ensure-rabbitmq.sh or set DISTRIBUTER_AMQP_URL", distributer.RedactURL(raw), err)
	}
	c.Close()
	return raw
}

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9]+`)

// namespace returns the URL of a fresh exchange and queue prefix on the
// broker, and deletes them, with the queues of groups, when the test ends.
func namespace(t testing.TB, groups ...string) string {
	t.Helper()
	base := broker(t)
	var b [4]byte
	_, _ = rand.Read(b[:])
	name := unsafeChars.ReplaceAllString(t.Name(), "-")
	if len(name) > 50 {
		name = name[len(name)-50:]
	}
	name = "dctl-" + strings.Trim(name, "-") + "-" + hex.EncodeToString(b[:])
	u, _ := url.Parse(base)
	q := u.Query()
	q.Set("exchange", name)
	q.Set("queue_prefix", name+".")
	u.RawQuery = q.Encode()
	t.Cleanup(func() {
		pu, _ := url.Parse(base)
		pu.RawQuery = ""
		c, err := amqp091.Dial(pu.String())
		if err != nil {
			t.Logf("cleanup: %v", err)
			return
		}
		defer c.Close()
		ch, err := c.Channel()
		if err != nil {
			return
		}
		for _, g := range groups {
			_, _ = ch.QueueDelete(name+"."+g, false, false, false)
			_, _ = ch.QueueDelete(name+".dlx."+name+"."+g, false, false, false)
		}
		for _, x := range []string{name, name + ".dlx", name + ".retry"} {
			_ = ch.ExchangeDelete(x, false, false)
		}
	})
	return u.String()
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// result is what a command did.
type result struct {
	code           int
	stdout, stderr string
}

// cli runs distctl in-process with the environment vars (name, value
// pairs) and stdin.
type cli struct {
	t     testing.TB
	vars  map[string]string
	stdin string
}

func newCLI(t testing.TB, vars ...string) *cli {
	c := &cli{t: t, vars: map[string]string{}}
	for i := 0; i+1 < len(vars); i += 2 {
		c.vars[vars[i]] = vars[i+1]
	}
	return c
}

func (c *cli) env(stdout, stderr *syncBuffer) *env {
	return &env{
		stdin: strings.NewReader(c.stdin), stdout: stdout, stderr: stderr,
		getenv: func(k string) string { return c.vars[k] },
		now:    time.Now,
	}
}

// run runs a command to its end.
func (c *cli) run(ctx context.Context, args ...string) result {
	c.t.Helper()
	var out, errb syncBuffer
	code := run(ctx, c.env(&out, &errb), args)
	return result{code, out.String(), errb.String()}
}

// start runs a command in the background; wait returns its result.
func (c *cli) start(ctx context.Context, args ...string) (stdout, stderr *syncBuffer, wait func() result) {
	var out, errb syncBuffer
	done := make(chan int, 1)
	e := c.env(&out, &errb)
	go func() { done <- run(ctx, e, args) }()
	return &out, &errb, func() result {
		code := <-done
		return result{code, out.String(), errb.String()}
	}
}

// must fails the test unless the command exited with code.
func (r result) must(t testing.TB, code int, what string) result {
	t.Helper()
	if r.code != code {
		t.Fatalf("%s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", what, r.code, code, r.stdout, r.stderr)
	}
	return r
}

// waitFor polls cond until it holds or ctx ends.
func waitFor(t testing.TB, ctx context.Context, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		if ctx.Err() != nil {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// admin opens a Distributer on raw and its Admin, closed with the test.
func admin(t testing.TB, ctx context.Context, raw string) (*distributer.Distributer, *amqp.Admin) {
	t.Helper()
	d, err := distributer.Open(ctx, raw)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	a, err := amqp.NewAdmin(d.DriverConn())
	if err != nil {
		t.Fatal(err)
	}
	return d, a
}

// waitMessages waits until queue holds n ready messages.
func waitMessages(t testing.TB, ctx context.Context, a *amqp.Admin, queue string, n int) {
	t.Helper()
	last := -1
	for ctx.Err() == nil {
		st, err := a.Stat(ctx, queue)
		if err == nil {
			if last = st.Messages; last == n {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("queue %s: %d messages, want %d", queue, last, n)
}
