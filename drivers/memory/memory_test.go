package memory_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/distributer/distributer"
	"github.com/distributer/distributer/driver"
	"github.com/distributer/distributer/drivers/memory"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const wait = 10 * time.Second

func open(t *testing.T, url string) *distributer.Distributer {
	t.Helper()
	d, err := distributer.Open(context.Background(), url, distributer.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatalf("Open(%q): %v", url, err)
	}
	t.Cleanup(func() { _ = d.Close() })
	return d
}

func subscribe(t *testing.T, d *distributer.Distributer, patterns []string, h distributer.HandlerFunc, opts ...distributer.SubscribeOption) *distributer.Subscription {
	t.Helper()
	s, err := d.Subscribe(context.Background(), patterns, h, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func publish(t *testing.T, d *distributer.Distributer, topic, body string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := d.Publish(ctx, topic, []byte(body)); err != nil {
		t.Fatalf("Publish(%q): %v", topic, err)
	}
}

func recv(t *testing.T, ch <-chan *distributer.Message) *distributer.Message {
	t.Helper()
	select {
	case m := <-ch:
		return m
	case <-time.After(wait):
		t.Fatal("no delivery")
		return nil
	}
}

func TestURLs(t *testing.T) {
	ctx := context.Background()
	for _, u := range []string{"memory://", "memory:///", "memory://x", "memory://x?max_attempts=1", "memory://?buffer=1&max_attempts=1000", "memory://y?buffer=1048576"} {
		d, err := distributer.Open(ctx, u)
		if err != nil {
			t.Errorf("Open(%q): %v", u, err)
			continue
		}
		d.Close()
	}
	for _, c := range []struct{ url, param string }{
		{"memory://x?maxattempts=3", "maxattempts"},
		{"memory://x?max_attempts=0", "max_attempts"},
		{"memory://x?max_attempts=1001", "max_attempts"},
		{"memory://x?max_attempts=three", "max_attempts"},
		{"memory://x?max_attempts=", "max_attempts"},
		{"memory://x?buffer=0", "buffer"},
		{"memory://x?buffer=2000000", "buffer"},
		{"memory://x?buffer=1&buffer=2", "buffer"},
	} {
		_, err := distributer.Open(ctx, c.url)
		var qe *driver.QueryError
		if !errors.As(err, &qe) || qe.Param != c.param || !errors.Is(err, distributer.ErrInvalidURL) {
			t.Errorf("Open(%q) = %v, want a QueryError for %q wrapping ErrInvalidURL", c.url, err, c.param)
		}
	}
	for _, u := range []string{"memory://user:s3cret@x", "memory://x/path", "memory://x:1234", "memory://x#frag"} {
		_, err := distributer.Open(ctx, u)
		if !errors.Is(err, distributer.ErrInvalidURL) {
			t.Errorf("Open(%q) = %v, want ErrInvalidURL", u, err)
		}
		if err != nil && strings.Contains(err.Error(), "s3cret") {
			t.Errorf("Open(%q): password in error %q", u, err)
		}
	}
}

// Buses are separate by name; Distributers on one name share it.
func TestNamedBuses(t *testing.T) {
	a1, a2, b := open(t, "memory://bus-a"), open(t, "memory://bus-a"), open(t, "memory://bus-b")
	def := open(t, "memory://")
	got := make(chan string, 10)
	for name, d := range map[string]*distributer.Distributer{"a2": a2, "b": b, "default": def} {
		subscribe(t, d, []string{"#"}, func(_ context.Context, m *distributer.Message) error {
			got <- name + ":" + m.Topic
			return nil
		})
	}
	publish(t, a1, "to.a", `{}`)
	publish(t, b, "to.b", `{}`)
	publish(t, def, "to.default", `{}`)
	seen := map[string]bool{}
	for range 3 {
		select {
		case s := <-got:
			seen[s] = true
		case <-time.After(wait):
			t.Fatalf("deliveries so far %v", seen)
		}
	}
	for _, want := range []string{"a2:to.a", "b:to.b", "default:to.default"} {
		if !seen[want] {
			t.Errorf("missing %s in %v", want, seen)
		}
	}
	select {
	case s := <-got:
		t.Errorf("message crossed buses: %s", s)
	case <-time.After(50 * time.Millisecond):
	}
}

// Dead letters are inspectable with DeadLetters and WaitDeadLetters, with
// the runtime's reason and the handler's error. (When a message is
// dead-lettered is the runtime's policy, tested by the conformance suite.)
func TestDeadLetters(t *testing.T) {
	bus := newBus()
	d := open(t, "memory://"+bus+"?max_attempts=2")
	var calls atomic.Int32
	subscribe(t, d, []string{"job"}, func(_ context.Context, m *distributer.Message) error {
		calls.Add(1)
		return fmt.Errorf("fail %d", m.Attempt)
	}, distributer.Group("workers"))
	publish(t, d, "job", `{"x":1}`)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	dls, err := memory.WaitDeadLetters(ctx, bus, 0)
	if err != nil {
		t.Fatal(err)
	}
	dl := dls[0]
	if dl.Seq != 1 || dl.Message.Topic != "job" || string(dl.Message.Body) != `{"x":1}` || dl.Message.Attempt != 2 ||
		dl.Group != "workers" || dl.Reason != "failed 2 attempts, last error: fail 2" || dl.Err == nil || dl.Err.Error() != "fail 2" || dl.Time.IsZero() {
		t.Errorf("dead letter %+v", dl)
	}
	if n := calls.Load(); n != 2 {
		t.Errorf("handler called %d times, want 2", n)
	}
	if all := memory.DeadLetters(bus); len(all) != 1 || all[0].Seq != 1 {
		t.Errorf("DeadLetters = %+v", all)
	}
	if memory.DeadLetters("no-such-bus") != nil {
		t.Error("DeadLetters of an unknown bus not nil")
	}
	short, cancel2 := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel2()
	if _, err := memory.WaitDeadLetters(short, bus, 1); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitDeadLetters with no new dead letter = %v, want DeadlineExceeded", err)
	}
}

// A full queue makes Publish wait, respecting ctx; nothing is lost; closing
// the Distributer releases a waiting Publish.
func TestBackpressure(t *testing.T) {
	d := open(t, "memory://"+newBus()+"?buffer=2")
	release := make(chan struct{})
	got := make(chan *distributer.Message, 10)
	subscribe(t, d, []string{"slow"}, func(_ context.Context, m *distributer.Message) error {
		got <- m
		<-release
		return nil
	})
	publish(t, d, "slow", `1`)
	recv(t, got) // 1 in flight
	publish(t, d, "slow", `2`)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := d.Publish(ctx, "slow", []byte(`3`)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Publish to a full queue = %v, want it to wait until DeadlineExceeded", err)
	}
	done := make(chan error, 1)
	go func() { done <- d.Publish(context.Background(), "slow", []byte(`3`)) }()
	select {
	case err := <-done:
		t.Fatalf("Publish returned %v while the queue is full", err)
	case <-time.After(20 * time.Millisecond):
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"2", "3"} {
		if m := recv(t, got); string(m.Body) != want {
			t.Errorf("got %s, want %s", m.Body, want)
		}
	}

	// A Publish waiting on a full queue returns ErrClosed when its
	// Distributer closes.
	bus := newBus()
	sub, pub := open(t, "memory://"+bus+"?buffer=1"), open(t, "memory://"+bus)
	block := make(chan struct{})
	started := make(chan struct{}, 1)
	subscribe(t, sub, []string{"x"}, func(ctx context.Context, m *distributer.Message) error {
		started <- struct{}{}
		<-block
		return nil
	})
	publish(t, pub, "x", `1`)
	<-started
	go func() { done <- pub.Publish(context.Background(), "x", []byte(`2`)) }()
	time.Sleep(20 * time.Millisecond) // let it block
	if err := pub.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, distributer.ErrClosed) {
		t.Errorf("blocked Publish after Close = %v, want ErrClosed", err)
	}
	close(block)
}

// A group's queue is bounded too while the group has no member: Publish
// waits, and the next member gets every message.
func TestGroupWithoutMembersIsBounded(t *testing.T) {
	d := open(t, "memory://"+newBus()+"?buffer=3")
	s := subscribe(t, d, []string{"g.*"}, func(context.Context, *distributer.Message) error { return nil }, distributer.Group("g"))
	s.Close()
	for i := range 3 {
		publish(t, d, "g.x", fmt.Sprint(i))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	if err := d.Publish(ctx, "g.x", []byte(`3`)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Publish to a memberless full group = %v, want DeadlineExceeded", err)
	}
	got := make(chan *distributer.Message, 10)
	subscribe(t, d, []string{"g.*"}, func(_ context.Context, m *distributer.Message) error { got <- m; return nil }, distributer.Group("g"))
	for i := range 3 {
		if m := recv(t, got); string(m.Body) != fmt.Sprint(i) {
			t.Errorf("got %s, want %d", m.Body, i)
		}
	}
}

// A group's queue is bound with the union of its members' patterns, and
// keeps the bindings of members that left.
func TestGroupPatternUnion(t *testing.T) {
	d := open(t, "memory://"+newBus())
	got := make(chan *distributer.Message, 10)
	h := func(_ context.Context, m *distributer.Message) error { got <- m; return nil }
	a := subscribe(t, d, []string{"a.*"}, h, distributer.Group("g"))
	subscribe(t, d, []string{"b.*"}, h, distributer.Group("g"))
	a.Close()
	publish(t, d, "a.x", `1`)
	publish(t, d, "b.x", `2`)
	publish(t, d, "c.x", `3`)
	publish(t, d, "b.y", `4`)
	for _, want := range []string{"a.x", "b.x", "b.y"} {
		if m := recv(t, got); m.Topic != want {
			t.Errorf("got %s, want %s", m.Topic, want)
		}
	}
}

// Handlers of one subscription run one at a time, and each delivery has its
// own Message and headers.
func TestDeliveriesAreSeparate(t *testing.T) {
	d := open(t, "memory://"+newBus())
	var overlap atomic.Int32
	got := make(chan *distributer.Message, 10)
	handler := func() distributer.HandlerFunc {
		var running atomic.Int32
		return func(_ context.Context, m *distributer.Message) error {
			if running.Add(1) > 1 {
				overlap.Add(1)
			}
			time.Sleep(time.Millisecond)
			m.Headers["k"] = "changed by handler"
			m.Attempt = 99
			running.Add(-1)
			got <- m
			return nil
		}
	}
	subscribe(t, d, []string{"h"}, handler())
	subscribe(t, d, []string{"h"}, handler())
	hdr := map[string]string{"k": "v"}
	for range 3 {
		if err := d.Publish(context.Background(), "h", []byte(`{}`), distributer.WithHeaders(hdr)); err != nil {
			t.Fatal(err)
		}
	}
	for range 6 {
		if m := recv(t, got); m.Headers["k"] != "changed by handler" {
			t.Errorf("headers %v", m.Headers)
		}
	}
	if hdr["k"] != "v" {
		t.Error("a handler changed the publisher's headers")
	}
	if n := overlap.Load(); n != 0 {
		t.Errorf("a subscription's handler ran %d times while already running", n)
	}
}

// Members joining and leaving a group while messages flow: every message is
// handled exactly once, none is stuck.
func TestGroupMemberChurn(t *testing.T) {
	d := open(t, "memory://"+newBus()+"?buffer=16")
	const n = 2000
	var handled [n]atomic.Int32
	var total atomic.Int32
	all := make(chan struct{})
	h := func(_ context.Context, m *distributer.Message) error {
		var i int
		fmt.Sscan(string(m.Body), &i)
		handled[i].Add(1)
		if total.Add(1) == n {
			close(all)
		}
		return nil
	}
	subscribe(t, d, []string{"w"}, h, distributer.Group("g"))
	stop := make(chan struct{})
	churned := make(chan struct{})
	go func() {
		defer close(churned)
		for {
			select {
			case <-stop:
				return
			default:
			}
			s, err := d.Subscribe(context.Background(), []string{"w"}, distributer.HandlerFunc(h), distributer.Group("g"))
			if err != nil {
				t.Error(err)
				return
			}
			time.Sleep(100 * time.Microsecond)
			s.Close()
		}
	}()
	for i := range n {
		publish(t, d, "w", fmt.Sprint(i))
	}
	select {
	case <-all:
	case <-time.After(wait):
		t.Fatalf("%d of %d handled", total.Load(), n)
	}
	close(stop)
	<-churned
	for i := range handled {
		if c := handled[i].Load(); c != 1 {
			t.Errorf("message %d handled %d times", i, c)
		}
	}
}
