package distributertest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/distributer/distributer"
)

// Run runs the conformance suite against the driver that h describes. Call
// it from a (non-parallel) test function; it runs one sub-test per property.
func Run(t *testing.T, h Harness) {
	t.Helper()
	h.defaults(t)
	runAll(t, &h, []subtest{
		{"FanOut", testFanOut, 0},
		{"GroupSharesWork", testGroupSharesWork, 0},
		{"Patterns", testPatterns, 0},
		{"Order", testOrder, needOrdering},
		{"RedeliveryThenDeadLetter", testRedelivery, 0},
		{"RetryBehindWaiting", testRetryBehindWaiting, needOrdering},
		{"Reject", testReject, 0},
		{"RejectWhileClosing", testRejectWhileClosing, 0},
		{"CloseAtLastAttempt", testCloseAtLastAttempt, needDurableGroups},
		{"Panic", testPanic, 0},
		{"NotJSON", testNotJSON, needForeignPublish},
		{"Undecodable", testUndecodable, needUndecodable},
		{"DeadLetterLogged", testDeadLetterLogged, 0},
		{"InvalidPublish", testInvalidPublish, 0},
		{"CloseSubscription", testCloseSubscription, 0},
		{"CloseDistributer", testCloseDistributer, 0},
		{"CloseCancelsHandler", testCloseCancelsHandler, 0},
		{"ContextCancelled", testContextCancelled, 0},
		{"Concurrent", testConcurrent, 0},
		{"LargeMessage", testLargeMessage, 0},
		{"HeadersAndIDs", testHeadersAndIDs, 0},
		{"PublishBatch", testPublishBatch, 0},
		{"GroupOutlivesMember", testGroupOutlivesMember, needDurableGroups},
		{"GroupPatternUnion", testGroupPatternUnion, 0},
		{"GroupShared", testGroupShared, 0},
		{"Hostile", testHostile, 0},
		{"Async", testAsync, 0},
		{"NoGoroutinesLeft", testNoLeaks, 0},
	})
}

// Fan-out: without a group every subscriber, in any Distributer on the
// namespace, receives every matching message, first delivery Attempt 1.
func testFanOut(t *testing.T, h *Harness) {
	e := newEnv(t, h)
	d1, d2 := e.open(), e.open()
	recs := []*recorder{newRecorder(), newRecorder(), newRecorder()}
	e.subscribe(d1, []string{"news.*"}, recs[0])
	e.subscribe(d1, []string{"news.*"}, recs[1])
	e.subscribe(d2, []string{"news.*"}, recs[2])
	var want []string
	for i := range 10 {
		d := d1
		if i%2 == 1 {
			d = d2
		}
		body := fmt.Sprintf(`{"n":%d}`, i)
		want = append(want, body)
		e.publish(d, "news.sport", body)
	}
	for i, r := range recs {
		got := r.waitN(t, h.Timeout, len(want))
		if !slices.Equal(bodies(got), want) {
			t.Errorf("subscriber %d got %v, want %v", i, bodies(got), want)
		}
		for _, m := range got {
			if m.Attempt != 1 {
				t.Errorf("subscriber %d: message %s has Attempt %d, want 1", i, m.Body, m.Attempt)
			}
			if m.Topic != "news.sport" {
				t.Errorf("subscriber %d: topic %q, want news.sport", i, m.Topic)
			}
		}
	}
	// A topic nobody subscribed to: accepted, delivered to no one.
	e.publish(d1, "nobody.listens", `{}`)
	time.Sleep(h.Quiet)
	for i, r := range recs {
		if n := len(r.all()); n != len(want) {
			t.Errorf("subscriber %d got %d deliveries, want %d", i, n, len(want))
		}
	}
}

// Work-sharing: each message goes to exactly one member of a group, members
// may be in different Distributers, and every member gets work.
func testGroupSharesWork(t *testing.T, h *Harness) {
	e := newEnv(t, h)
	d1, d2 := e.open(), e.open()
	const members, n = 3, 60
	var (
		mu     sync.Mutex
		seen   = map[string]int{} // body -> deliveries
		active [members]bool
		allIn  = make(chan struct{})
		total  atomic.Int32
		done   = make(chan struct{})
	)
	for i := range members {
		h := distributer.HandlerFunc(func(ctx context.Context, m *distributer.Message) error {
			mu.Lock()
			seen[string(m.Body)]++
			first := !active[i]
			active[i] = true
			all := !slices.Contains(active[:], false)
			if first && all {
				close(allIn)
			}
			mu.Unlock()
			if first {
				// Hold the first message until every member has one, so a
				// member that takes all the work is detected.
				select {
				case <-allIn:
				case <-time.After(e.h.Timeout):
				}
			}
			if total.Add(1) == n {
				close(done)
			}
			return nil
		})
		d := d1
		if i == members-1 {
			d = d2
		}
		e.subscribe(d, []string{"jobs.#"}, h, distributer.Group("workers"))
	}
	for i := range n {
		e.publish(d1, "jobs.resize", fmt.Sprintf(`{"job":%d}`, i))
	}
	select {
	case <-done:
	case <-time.After(2 * h.Timeout):
		t.Fatalf("only %d of %d deliveries within %v", total.Load(), n, 2*h.Timeout)
	}
	time.Sleep(h.Quiet)
	mu.Lock()
	defer mu.Unlock()
	for i, a := range active {
		if !a {
			t.Errorf("group member %d got no message", i)
		}
	}
	if len(seen) != n {
		t.Errorf("%d distinct messages delivered, want %d", len(seen), n)
	}
	for b, c := range seen {
		if c != 1 {
			t.Errorf("message %s delivered %d times to the group, want once", b, c)
		}
	}
}

// The pattern table: '*' is one word, '#' zero or more, several patterns per
// subscription, and a message that matches two patterns of a subscription
// is delivered to it once.
func testPatterns(t *testing.T, h *Harness) {
	e := newEnv(t, h)
	d := e.open()
	published := []string{"a", "a.b", "a.b.c", "a.x.c", "b.b", "a.b.c.d", "x.a.b", "b"}
	cases := []struct {
		patterns []string
		want     []string // in publish order
	}{
		{[]string{"a.b"}, []string{"a.b"}},
		{[]string{"a"}, []string{"a"}},
		{[]string{"a.*"}, []string{"a.b"}},
		{[]string{"*"}, []string{"a", "b"}},
		{[]string{"*.b"}, []string{"a.b", "b.b"}},
		{[]string{"a.#"}, []string{"a", "a.b", "a.b.c", "a.x.c", "a.b.c.d"}},
		{[]string{"#"}, published},
		{[]string{"#.c"}, []string{"a.b.c", "a.x.c"}},
		{[]string{"a.*.c"}, []string{"a.b.c", "a.x.c"}},
		{[]string{"a.#.d"}, []string{"a.b.c.d"}},
		{[]string{"#.b.#"}, []string{"a.b", "a.b.c", "b.b", "a.b.c.d", "x.a.b", "b"}},
		{[]string{"*.*.*"}, []string{"a.b.c", "a.x.c", "x.a.b"}},
		{[]string{"a.b", "b.b"}, []string{"a.b", "b.b"}},
		{[]string{"a.*", "*.b"}, []string{"a.b", "b.b"}},
		{[]string{"a.#", "#"}, published},
		{[]string{"a.b", "a.b"}, []string{"a.b"}},
		{[]string{"zzz"}, nil},
	}
	recs := make([]*recorder, len(cases))
	for i, c := range cases {
		recs[i] = newRecorder()
		// Each subscription also gets its own end marker, published last:
		// once it arrives, every earlier message has been delivered.
		e.subscribe(d, append(slices.Clone(c.patterns), fmt.Sprintf("end.m%d", i)), recs[i])
	}
	for _, tp := range published {
		e.publish(d, tp, `{}`)
	}
	for i := range cases {
		e.publish(d, fmt.Sprintf("end.m%d", i), `{}`)
	}
	for i, c := range cases {
		got := recs[i].waitTopic(t, h.Timeout, fmt.Sprintf("end.m%d", i))
		var gotTopics []string
		for _, tp := range topics(got) {
			if !strings.HasPrefix(tp, "end.") {
				gotTopics = append(gotTopics, tp)
			}
		}
		if !slices.Equal(gotTopics, c.want) {
			t.Errorf("subscription %q got %q, want %q", c.patterns, gotTopics, c.want)
		}
	}
}

// Order: one publisher, one subscriber, messages arrive in publish order.
func testOrder(t *testing.T, h *Harness) {
	e := newEnv(t, h)
	d := e.open()
	r := newRecorder()
	e.subscribe(d, []string{"seq.*"}, r)
	const n = 500
	for i := range n {
		e.publish(d, "seq.x", fmt.Sprintf(`{"i":%d}`, i))
	}
	got := r.waitN(t, h.Timeout, n)
	for i, m := range got {
		var v struct{ I int }
		if err := json.Unmarshal(m.Body, &v); err != nil {
			t.Fatalf("delivery %d: body %s: %v", i, m.Body, err)
		}
		if v.I != i {
			t.Fatalf("delivery %d is message %d: order not preserved", i, v.I)
		}
	}
}

// failing returns a handler behaviour driven by the body: {"fail":N} fails
// the first N attempts with "boom", {"panic":N} panics on them, {"reject":
// true} rejects.
func failing(ctx context.Context, m *distributer.Message) error {
	var v struct {
		Fail, Panic int
		Reject      bool
	}
	_ = json.Unmarshal(m.Body, &v)
	switch {
	case v.Reject:
		return distributer.Reject(errors.New("bad input"))
	case m.Attempt <= v.Fail:
		return fmt.Errorf("boom at attempt %d", m.Attempt)
	case m.Attempt <= v.Panic:
		panic(fmt.Sprintf("kaboom at attempt %d", m.Attempt))
	}
	return nil
}

func attempts(msgs []distributer.Message) []int {
	out := make([]int, len(msgs))
	for i, m := range msgs {
		out[i] = m.Attempt
	}
	return out
}

func seq(from, to int) []int {
	var s []int
	for i := from; i <= to; i++ {
		s = append(s, i)
	}
	return s
}

func checkDeadLetter(t *testing.T, dl DeadLetter, topic, body, id, reason string, attempt int) {
	t.Helper()
	if dl.Topic != topic || string(dl.Body) != body || dl.ID != id {
		t.Errorf("dead letter = (%q, %s, id %q), want (%q, %s, id %q)", dl.Topic, dl.Body, dl.ID, topic, body, id)
	}
	if dl.Reason != "" && !strings.Contains(dl.Reason, reason) {
		t.Errorf("dead letter reason %q does not mention %q", dl.Reason, reason)
	}
	if dl.Attempt != 0 && dl.Attempt != attempt {
		t.Errorf("dead letter Attempt = %d, want %d", dl.Attempt, attempt)
	}
}

// A failing handler gets the message again with a growing Attempt and the
// same id, up to MaxAttempts; then the message is dead-lettered. A handler
// that recovers in time acknowledges it.
func testRedelivery(t *testing.T, h *Harness) {
	for _, group := range []string{"", "workers"} {
		t.Run("group="+group, func(t *testing.T) {
			e := newEnv(t, h)
			d := e.open()
			r := newRecorder()
			r.before = failing
			e.subscribe(d, []string{"jobs.*"}, r, distributer.Group(group))

			body := `{"fail":1000}`
			e.publish(d, "jobs.a", body, distributer.WithID("fail-forever"))
			dl := e.deadLetter()
			checkDeadLetter(t, dl, "jobs.a", body, "fail-forever", "boom", h.MaxAttempts)
			got := r.waitN(t, h.Timeout, h.MaxAttempts)
			if !slices.Equal(attempts(got), seq(1, h.MaxAttempts)) {
				t.Errorf("attempts = %v, want %v", attempts(got), seq(1, h.MaxAttempts))
			}
			for _, m := range got {
				if m.ID != "fail-forever" || string(m.Body) != body {
					t.Errorf("redelivery has id %q body %s, want fail-forever %s", m.ID, m.Body, body)
				}
			}

			// The subscription still works, and a handler that succeeds at
			// the last attempt acknowledges the message.
			body2 := fmt.Sprintf(`{"fail":%d}`, h.MaxAttempts-1)
			e.publish(d, "jobs.b", body2)
			got = r.waitN(t, h.Timeout, 2*h.MaxAttempts)[h.MaxAttempts:]
			if !slices.Equal(attempts(got), seq(1, h.MaxAttempts)) {
				t.Errorf("attempts = %v, want %v", attempts(got), seq(1, h.MaxAttempts))
			}
			e.noDeadLetter()
			if n := len(r.all()); n != 2*h.MaxAttempts {
				t.Errorf("%d deliveries, want %d", n, 2*h.MaxAttempts)
			}
		})
	}
}

// A handler error made with Reject dead-letters the message at once.
func testReject(t *testing.T, h *Harness) {
	e := newEnv(t, h)
	d := e.open()
	r := newRecorder()
	r.before = failing
	e.subscribe(d, []string{"jobs.*"}, r)
	body := `{"reject":true}`
	e.publish(d, "jobs.r", body, distributer.WithID("rejected-1"))
	dl := e.deadLetter()
	checkDeadLetter(t, dl, "jobs.r", body, "rejected-1", "bad input", 1)
	e.publish(d, "jobs.ok", `{}`)
	got := r.waitTopic(t, h.Timeout, "jobs.ok")
	if !slices.Equal(topics(got), []string{"jobs.r", "jobs.ok"}) {
		t.Errorf("deliveries %v, want the rejected message once, then jobs.ok", summary(got))
	}
}

// A panicking handler is recovered: the message is redelivered, and
// dead-lettered if it keeps panicking. The subscription survives.
func testPanic(t *testing.T, h *Harness) {
	e := newEnv(t, h)
	d := e.open()
	r := newRecorder()
	r.before = failing
	e.subscribe(d, []string{"jobs.*"}, r)

	e.publish(d, "jobs.p1", `{"panic":1}`)
	got := r.waitN(t, h.Timeout, 2)
	if !slices.Equal(attempts(got), []int{1, 2}) {
		t.Errorf("panic once: attempts %v, want [1 2]", attempts(got))
	}

	body := `{"panic":1000}`
	e.publish(d, "jobs.p2", body, distributer.WithID("panics"))
	dl := e.deadLetter()
	checkDeadLetter(t, dl, "jobs.p2", body, "panics", "kaboom", h.MaxAttempts)
	got = r.waitN(t, h.Timeout, 2+h.MaxAttempts)
	if !slices.Equal(attempts(got[2:]), seq(1, h.MaxAttempts)) {
		t.Errorf("panic always: attempts %v, want %v", attempts(got[2:]), seq(1, h.MaxAttempts))
	}
	e.publish(d, "jobs.ok", `{}`)
	r.waitTopic(t, h.Timeout, "jobs.ok")
}

// Invalid JSON and invalid topics are refused at publish with typed errors,
// and nothing is sent; invalid patterns are refused at subscribe.
func testInvalidPublish(t *testing.T, h *Harness) {
	e := newEnv(t, h)
	d := e.open()
	r := newRecorder()
	e.subscribe(d, []string{"#"}, r)
	ctx := e.ctx()
	for _, body := range []string{``, `{`, `{"a":}`, `nope`, `{"a":1}}`, `"\u12"`} {
		err := d.Publish(ctx, "in.valid", []byte(body))
		if !errors.Is(err, distributer.ErrInvalidJSON) {
			t.Errorf("Publish(body %q) = %v, want ErrInvalidJSON", body, err)
		}
	}
	for _, tp := range []string{"", "a..b", ".a", "a.", "a.*", "#", "a b", strings.Repeat("a", 300)} {
		err := d.Publish(ctx, tp, []byte(`{}`))
		if !errors.Is(err, distributer.ErrInvalidTopic) {
			t.Errorf("Publish(topic %q) = %v, want ErrInvalidTopic", tp, err)
		}
	}
	for _, p := range []string{"", "a..b", "a*", "a.#x"} {
		if _, err := d.Subscribe(ctx, []string{p}, r); !errors.Is(err, distributer.ErrInvalidTopic) {
			t.Errorf("Subscribe(%q) = %v, want ErrInvalidTopic", p, err)
		}
	}
	if _, err := d.Subscribe(ctx, nil, r); !errors.Is(err, distributer.ErrInvalidTopic) {
		t.Errorf("Subscribe(no topics) = %v, want ErrInvalidTopic", err)
	}
	e.publish(d, "marker", `{}`)
	got := r.waitTopic(t, h.Timeout, "marker")
	if len(got) != 1 {
		t.Errorf("deliveries %s: refused messages were sent", summary(got))
	}
}

// Closing a subscription stops its deliveries and ends it without error;
// other subscriptions go on.
func testCloseSubscription(t *testing.T, h *Harness) {
	e := newEnv(t, h)
	d := e.open()
	closing, staying := newRecorder(), newRecorder()
	s := e.subscribe(d, []string{"t.*"}, closing)
	e.subscribe(d, []string{"t.*"}, staying)
	e.publish(d, "t.one", `{}`)
	closing.waitN(t, h.Timeout, 1)
	staying.waitN(t, h.Timeout, 1)
	if err := s.Close(); err != nil {
		t.Fatalf("Subscription.Close: %v", err)
	}
	waitDone(t, h.Timeout, s, "after Close")
	if err := s.Err(); err != nil {
		t.Errorf("Err after Close = %v, want nil", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close = %v, want nil", err)
	}
	e.publish(d, "t.two", `{}`)
	staying.waitTopic(t, h.Timeout, "t.two")
	time.Sleep(h.Quiet)
	if got := closing.all(); len(got) != 1 {
		t.Errorf("closed subscription got %s, want only t.one", summary(got))
	}
	if s.Group() != "" || !slices.Equal(s.Patterns(), []string{"t.*"}) {
		t.Errorf("Patterns/Group = %q/%q", s.Patterns(), s.Group())
	}
}

// Closing a Distributer ends all its subscriptions; it then refuses work
// with ErrClosed, and Close is idempotent. Other Distributers on the same
// namespace are not affected.
func testCloseDistributer(t *testing.T, h *Harness) {
	e := newEnv(t, h)
	d1, d2 := e.open(), e.open()
	r1, r2, r3 := newRecorder(), newRecorder(), newRecorder()
	s1 := e.subscribe(d1, []string{"c.*"}, r1)
	s2 := e.subscribe(d1, []string{"c.*"}, r2, distributer.Group("g"))
	e.subscribe(d2, []string{"c.*"}, r3)
	e.publish(d1, "c.x", `{}`)
	r1.waitN(t, h.Timeout, 1)
	r2.waitN(t, h.Timeout, 1)
	if err := d1.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	waitDone(t, h.Timeout, s1, "fan-out subscription after Distributer.Close")
	waitDone(t, h.Timeout, s2, "group subscription after Distributer.Close")
	if err := d1.Close(); err != nil {
		t.Errorf("second Close = %v, want nil", err)
	}
	if err := s1.Close(); err != nil {
		t.Errorf("Subscription.Close after Distributer.Close = %v, want nil", err)
	}
	ctx := e.ctx()
	if err := d1.Publish(ctx, "c.y", []byte(`{}`)); !errors.Is(err, distributer.ErrClosed) {
		t.Errorf("Publish after Close = %v, want ErrClosed", err)
	}
	if err := d1.PublishBatch(ctx, []*distributer.Message{{Topic: "c.y", Body: []byte(`{}`)}}); !errors.Is(err, distributer.ErrClosed) {
		t.Errorf("PublishBatch after Close = %v, want ErrClosed", err)
	}
	if _, err := d1.Subscribe(ctx, []string{"c.*"}, r1); !errors.Is(err, distributer.ErrClosed) {
		t.Errorf("Subscribe after Close = %v, want ErrClosed", err)
	}
	e.publish(d2, "c.z", `{}`)
	r3.waitTopic(t, h.Timeout, "c.z")
	time.Sleep(h.Quiet)
	if n := len(r1.all()); n != 1 {
		t.Errorf("subscription of a closed Distributer got %d messages, want 1", n)
	}
}

// Closing a subscription cancels the context of running handlers and waits
// for them to return.
func testCloseCancelsHandler(t *testing.T, h *Harness) {
	e := newEnv(t, h)
	d := e.open()
	started := make(chan struct{})
	var returned atomic.Bool
	s := e.subscribe(d, []string{"slow.*"}, distributer.HandlerFunc(func(ctx context.Context, m *distributer.Message) error {
		if m.Topic != "slow.first" {
			return nil
		}
		close(started)
		select {
		case <-ctx.Done():
		case <-time.After(e.h.Timeout):
			t.Error("handler context not cancelled by Subscription.Close")
		}
		time.Sleep(20 * time.Millisecond) // Close must wait for this
		returned.Store(true)
		return ctx.Err()
	}))
	e.publish(d, "slow.first", `{}`)
	waitSignal(t, h.Timeout, started, "handler called")
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if !returned.Load() {
		t.Error("Subscription.Close returned before the running handler did")
	}
}

// Publish and Subscribe with a done context fail with the context's error
// and do nothing.
func testContextCancelled(t *testing.T, h *Harness) {
	e := newEnv(t, h)
	d := e.open()
	r := newRecorder()
	e.subscribe(d, []string{"#"}, r)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	if err := d.Publish(cancelled, "x.y", []byte(`{}`)); !errors.Is(err, context.Canceled) {
		t.Errorf("Publish(cancelled ctx) = %v, want context.Canceled", err)
	}
	if err := d.PublishBatch(cancelled, []*distributer.Message{{Topic: "x.y", Body: []byte(`{}`)}}); !errors.Is(err, context.Canceled) {
		t.Errorf("PublishBatch(cancelled ctx) = %v, want context.Canceled", err)
	}
	expired, cancel2 := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel2()
	if err := d.Publish(expired, "x.y", []byte(`{}`)); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Publish(expired ctx) = %v, want context.DeadlineExceeded", err)
	}
	if _, err := d.Subscribe(cancelled, []string{"x.*"}, r); !errors.Is(err, context.Canceled) {
		t.Errorf("Subscribe(cancelled ctx) = %v, want context.Canceled", err)
	}
	e.publish(d, "marker", `{}`)
	if got := r.waitTopic(t, h.Timeout, "marker"); len(got) != 1 {
		t.Errorf("deliveries %s: a publish with a done context was sent", summary(got))
	}
}

// Many publishers and subscribers at once (run the suite with -race): every
// fan-out subscriber sees every message, in order per publisher (with
// Ordering); a group sees each message once.
func testConcurrent(t *testing.T, h *Harness) {
	e := newEnv(t, h)
	dp, ds := e.open(), e.open()
	const pubs, per, fans, members = 4, 150, 3, 3
	fan := make([]*recorder, fans)
	for i := range fan {
		fan[i] = newRecorder()
		e.subscribe(ds, []string{"load.*"}, fan[i])
	}
	group := newRecorder()
	for range members {
		e.subscribe(ds, []string{"load.#"}, group, distributer.Group("g"))
	}
	ctx := e.ctx()
	var wg sync.WaitGroup
	for p := range pubs {
		wg.Go(func() {
			tp := fmt.Sprintf("load.p%d", p)
			if p%2 == 1 { // half publish in batches
				var batch []*distributer.Message
				for i := range per {
					batch = append(batch, &distributer.Message{Topic: tp, Body: fmt.Appendf(nil, `{"p":%d,"i":%d}`, p, i)})
				}
				for len(batch) > 0 {
					k := min(len(batch), 25)
					if err := dp.PublishBatch(ctx, batch[:k]); err != nil {
						t.Errorf("PublishBatch: %v", err)
						return
					}
					batch = batch[k:]
				}
				return
			}
			for i := range per {
				if err := dp.Publish(ctx, tp, fmt.Appendf(nil, `{"p":%d,"i":%d}`, p, i)); err != nil {
					t.Errorf("Publish: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	const total = pubs * per
	type pi struct{ P, I int }
	decode := func(m distributer.Message) pi {
		var v pi
		if err := json.Unmarshal(m.Body, &v); err != nil {
			t.Fatalf("body %s: %v", m.Body, err)
		}
		return v
	}
	for f, r := range fan {
		got := r.waitN(t, 2*h.Timeout, total)
		if !h.Capabilities.Ordering {
			continue
		}
		next := make([]int, pubs)
		for _, m := range got {
			v := decode(m)
			if v.I != next[v.P] {
				t.Fatalf("fan-out subscriber %d: from publisher %d got message %d, want %d", f, v.P, v.I, next[v.P])
			}
			next[v.P]++
		}
	}
	group.waitN(t, 2*h.Timeout, total)
	time.Sleep(h.Quiet)
	seen := map[pi]bool{}
	for _, m := range group.all() {
		v := decode(m)
		if seen[v] {
			t.Errorf("group got %v twice", v)
		}
		seen[v] = true
	}
	for f, r := range fan {
		if n := len(r.all()); n != total {
			t.Errorf("fan-out subscriber %d got %d messages, want %d", f, n, total)
		}
	}
}

// A message of the largest size the driver carries (1 MiB, the runtime's
// default max_message_bytes, unless Capabilities.MaxBodyBytes is smaller)
// arrives intact.
func testLargeMessage(t *testing.T, h *Harness) {
	e := newEnv(t, h)
	d := e.open()
	r := newRecorder()
	e.subscribe(d, []string{"big"}, r)
	body := make([]byte, min(h.Capabilities.MaxBodyBytes, distributer.DefaultMaxMessageBytes))
	for i := range body {
		body[i] = 'a' + byte(i%26)
	}
	body[0], body[len(body)-1] = '"', '"'
	if err := d.Publish(e.ctx(), "big", body); err != nil {
		t.Fatalf("Publish %d bytes: %v", len(body), err)
	}
	got := r.waitN(t, h.Timeout, 1)
	if !bytes.Equal(got[0].Body, body) {
		t.Errorf("%d-byte body changed in transit (got %d bytes)", len(body), len(got[0].Body))
	}
}

// Headers and ids travel with the message; ids are generated when not
// given, and unique.
func testHeadersAndIDs(t *testing.T, h *Harness) {
	e := newEnv(t, h)
	d := e.open()
	r := newRecorder()
	e.subscribe(d, []string{"h.*"}, r)
	hdr := map[string]string{"trace-id": "abc123", "x-schema": "cortex/raw.pose@1", "empty": ""}
	e.publish(d, "h.one", `{"a":1}`, distributer.WithHeaders(hdr), distributer.WithID("id-one"))
	e.publish(d, "h.two", `{}`)
	e.publish(d, "h.three", `{}`)
	got := r.waitN(t, h.Timeout, 3)
	if got[0].ID != "id-one" {
		t.Errorf("ID = %q, want id-one", got[0].ID)
	}
	for k, v := range hdr {
		if gv, ok := got[0].Headers[k]; !ok || gv != v {
			t.Errorf("header %q = %q (present %v), want %q", k, gv, ok, v)
		}
	}
	if got[1].ID == "" || got[2].ID == "" || got[1].ID == got[2].ID {
		t.Errorf("generated ids %q, %q: want distinct, non-empty", got[1].ID, got[2].ID)
	}
	for _, k := range []string{"trace-id", "x-schema"} {
		if _, ok := got[1].Headers[k]; ok {
			t.Errorf("header %q leaked to another message", k)
		}
	}
}

// PublishBatch delivers every message in order, sets ids, and sends nothing
// when one message is invalid.
func testPublishBatch(t *testing.T, h *Harness) {
	e := newEnv(t, h)
	d := e.open()
	r := newRecorder()
	e.subscribe(d, []string{"b.#"}, r)
	ctx := e.ctx()
	var batch []*distributer.Message
	for i := range 50 {
		batch = append(batch, &distributer.Message{
			Topic:   fmt.Sprintf("b.t%d", i%3),
			Body:    fmt.Appendf(nil, `{"i":%d}`, i),
			Headers: map[string]string{"i": fmt.Sprint(i)},
		})
	}
	batch[7].ID = "given-7"
	if err := d.PublishBatch(ctx, batch); err != nil {
		t.Fatalf("PublishBatch: %v", err)
	}
	got := r.waitN(t, h.Timeout, len(batch))
	for i, m := range got {
		if m.ID != batch[i].ID || m.ID == "" || string(m.Body) != string(batch[i].Body) || m.Topic != batch[i].Topic || m.Headers["i"] != fmt.Sprint(i) {
			t.Errorf("delivery %d = %s id %q headers %v, want %s id %q (set by PublishBatch)", i, m.Body, m.ID, m.Headers, batch[i].Body, batch[i].ID)
		}
	}
	if batch[7].ID != "given-7" {
		t.Errorf("given id replaced by %q", batch[7].ID)
	}
	if err := d.PublishBatch(ctx, nil); err != nil {
		t.Errorf("PublishBatch(nil) = %v", err)
	}
	bad := []*distributer.Message{{Topic: "b.ok", Body: []byte(`{}`)}, {Topic: "b.bad", Body: []byte(`{`)}}
	if err := d.PublishBatch(ctx, bad); !errors.Is(err, distributer.ErrInvalidJSON) {
		t.Errorf("PublishBatch with invalid JSON = %v, want ErrInvalidJSON", err)
	}
	bad[1] = &distributer.Message{Topic: "b.*", Body: []byte(`{}`)}
	if err := d.PublishBatch(ctx, bad); !errors.Is(err, distributer.ErrInvalidTopic) {
		t.Errorf("PublishBatch with invalid topic = %v, want ErrInvalidTopic", err)
	}
	e.publish(d, "b.marker", `{}`)
	got = r.waitTopic(t, h.Timeout, "b.marker")
	if len(got) != len(batch)+1 {
		t.Errorf("after refused batches got %d deliveries, want %d: an invalid batch was partly sent", len(got), len(batch)+1)
	}
}

// A group's queue outlives its members: messages published while the group
// has no member wait for the next one.
func testGroupOutlivesMember(t *testing.T, h *Harness) {
	e := newEnv(t, h)
	d1, d2 := e.open(), e.open()
	first := newRecorder()
	s := e.subscribe(d1, []string{"work.*"}, first, distributer.Group("g"))
	e.publish(d2, "work.a", `{"n":0}`)
	first.waitN(t, h.Timeout, 1)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	want := []string{`{"n":1}`, `{"n":2}`, `{"n":3}`}
	for _, b := range want {
		e.publish(d2, "work.a", b)
	}
	next := newRecorder()
	e.subscribe(d2, []string{"work.*"}, next, distributer.Group("g"))
	got := next.waitN(t, h.Timeout, len(want))
	if !slices.Equal(bodies(got), want) {
		t.Errorf("new member got %v, want %v", bodies(got), want)
	}
	if n := len(first.all()); n != 1 {
		t.Errorf("closed member got %d messages, want 1", n)
	}
}

// Members of one group that subscribe with different patterns share the
// group's one queue, bound with the union of their patterns: a message that
// matches any member's patterns is delivered once to the group (to any
// member, possibly one whose own patterns do not match it), a message that
// matches none is not delivered, and (with DurableGroups) the patterns of a
// member that left stay bound.
func testGroupPatternUnion(t *testing.T, h *Harness) {
	e := newEnv(t, h)
	d1, d2 := e.open(), e.open()
	r := newRecorder() // both members record here
	sa := e.subscribe(d1, []string{"ua.*"}, r, distributer.Group("g"))
	e.subscribe(d2, []string{"ub.*"}, r, distributer.Group("g"))
	for _, tp := range []string{"ua.x", "ub.x", "uc.x", "ua.y", "ub.y"} {
		e.publish(d1, tp, `{"topic":"`+tp+`"}`)
	}
	r.waitN(t, h.Timeout, 4)
	time.Sleep(h.Quiet)
	got := topics(r.all())
	slices.Sort(got)
	if want := []string{"ua.x", "ua.y", "ub.x", "ub.y"}; !slices.Equal(got, want) {
		t.Errorf("group with members on ua.* and ub.* got %v, want each of %v once", got, want)
	}

	if !h.Capabilities.DurableGroups {
		return // the rest needs a group queue that outlives a member
	}
	if err := sa.Close(); err != nil {
		t.Fatal(err)
	}
	n0 := len(r.all())
	for _, tp := range []string{"ua.z", "uc.z", "ub.z"} {
		e.publish(d2, tp, `{"topic":"`+tp+`"}`)
	}
	r.waitN(t, h.Timeout, n0+2)
	time.Sleep(h.Quiet)
	if got := topics(r.all()[n0:]); !slices.Equal(got, []string{"ua.z", "ub.z"}) {
		t.Errorf("after the ua.* member left, the group got %v, want [ua.z ub.z] (its pattern stays bound)", got)
	}
}

// Closing a Distributer leaves no goroutine behind, PublishAsync's
// included.
func testNoLeaks(t *testing.T, h *Harness) {
	before := goleak.IgnoreCurrent()
	func() {
		// No dead-letter watcher here: its goroutines live until the test
		// ends.
		url := h.NewURL(t)
		ctx, cancel := context.WithTimeout(context.Background(), h.Timeout)
		defer cancel()
		opts := append([]distributer.Option{distributer.WithLogger(discard)}, h.Options...)
		d, err := distributer.Open(ctx, url, opts...)
		if err != nil {
			t.Fatal(err)
		}
		r1, r2 := newRecorder(), newRecorder()
		r1.before = failing
		if _, err := d.Subscribe(ctx, []string{"l.*"}, r1); err != nil {
			t.Fatal(err)
		}
		s2, err := d.Subscribe(ctx, []string{"l.#"}, r2, distributer.Group("g"))
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range []string{`{}`, `{"fail":1}`, `{"reject":true}`} {
			if err := d.Publish(ctx, "l.x", []byte(b)); err != nil {
				t.Fatal(err)
			}
		}
		r1.waitN(t, h.Timeout, 4) // {}, {"fail":1} twice, {"reject":true}
		r2.waitN(t, h.Timeout, 3)
		// Asynchronous publishing, flushed and not.
		for i := range 20 {
			_ = d.PublishAsync(ctx, "l.async", fmt.Appendf(nil, `{"i":%d}`, i))
		}
		if err := d.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		_ = d.PublishAsync(ctx, "l.async", []byte(`{}`))
		_ = s2.Close()
		if err := d.Close(); err != nil {
			t.Fatal(err)
		}
	}()
	goleak.VerifyNone(t, append([]goleak.Option{before}, h.LeakOptions...)...)
}
