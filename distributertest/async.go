package distributertest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/distributer/distributer"
)

// Asynchronous publishing (distributer.PublishAsync, issue 14): order,
// results that resolve only once the broker has the message, failures
// with Publish's errors, flow control, Flush and Close.
func testAsync(t *testing.T, h *Harness) {
	for _, tc := range []struct {
		name string
		f    func(*testing.T, *Harness)
	}{
		{"Order", testAsyncOrder},
		{"ResolvesWhenTaken", testAsyncResolvesWhenTaken},
		{"Refused", testAsyncRefused},
		{"NotConfirmed", testAsyncNotConfirmed},
		{"FlowControl", testAsyncFlowControl},
		{"FlowControlWaits", testAsyncFlowControlWaits},
		{"CloseFlushes", testAsyncCloseFlushes},
		{"CloseResolves", testAsyncCloseResolves},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.f(t, h) })
	}
}

// jam calls Harness.Jam, which the asynchronous tests need.
func (e *env) jam(topic string) (release func()) {
	e.t.Helper()
	if e.h.Jam == nil {
		e.t.Fatal("distributertest: Harness.Jam is nil: the asynchronous publishing tests need a way to make the broker refuse a topic's messages (see Harness.Jam)")
	}
	return e.h.Jam(e.t, e.url, topic)
}

func resolved(r *distributer.PublishResult) bool {
	select {
	case <-r.Done():
		return true
	default:
		return false
	}
}

// get waits for r (the test's timeout) and returns its id and error.
func (e *env) get(r *distributer.PublishResult, what string) (string, error) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), e.h.Timeout)
	defer cancel()
	id, err := r.Get(ctx)
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
		e.t.Fatalf("%s: result not resolved within %v", what, e.h.Timeout)
	}
	return id, err
}

// Several goroutines call PublishAsync, each on its topic: after Flush
// every result is resolved, with the message's id; a subscriber gets each
// goroutine's messages in the order it published them, under those ids.
func testAsyncOrder(t *testing.T, h *Harness) {
	e := newEnv(t, h)
	dp, ds := e.open(), e.open()
	r := newRecorder()
	e.subscribe(ds, []string{"aseq.#"}, r)
	ctx := e.ctx()
	const pubs, per = 4, 250
	results := make([][]*distributer.PublishResult, pubs)
	var wg sync.WaitGroup
	for p := range pubs {
		wg.Go(func() {
			for i := range per {
				results[p] = append(results[p], dp.PublishAsync(ctx, fmt.Sprintf("aseq.p%d", p), fmt.Appendf(nil, `{"p":%d,"i":%d}`, p, i)))
			}
		})
	}
	wg.Wait()
	if err := dp.Flush(ctx); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	type pi struct{ P, I int }
	byID := map[string]pi{}
	for p, rs := range results {
		for i, res := range rs {
			if !resolved(res) {
				t.Fatalf("publisher %d message %d: result not resolved after Flush", p, i)
			}
			id, err := res.Get(ctx)
			if err != nil || id == "" {
				t.Fatalf("publisher %d message %d: Get = (%q, %v), want an id and nil", p, i, id, err)
			}
			byID[id] = pi{p, i}
		}
	}
	if len(byID) != pubs*per {
		t.Errorf("%d distinct ids for %d messages", len(byID), pubs*per)
	}
	got := r.waitN(t, 2*h.Timeout, pubs*per)
	next := make([]int, pubs)
	for _, m := range got {
		var v pi
		if err := json.Unmarshal(m.Body, &v); err != nil {
			t.Fatalf("body %s: %v", m.Body, err)
		}
		if v.I != next[v.P] {
			t.Fatalf("from publisher %d got message %d, want %d: order not preserved", v.P, v.I, next[v.P])
		}
		next[v.P]++
		if byID[m.ID] != v {
			t.Errorf("message %v delivered with id %q, whose result was message %v", v, m.ID, byID[m.ID])
		}
	}
}

// A result does not resolve while the broker does not take the message;
// once it does, the result resolves with nil and the message is delivered.
func testAsyncResolvesWhenTaken(t *testing.T, h *Harness) {
	e := newEnv(t, h)
	d := e.open()
	r := newRecorder()
	e.subscribe(d, []string{"held.#"}, r)
	release := e.jam("held.x")
	ctx := e.ctx()
	call := make(chan *distributer.PublishResult, 1)
	go func() { call <- d.PublishAsync(ctx, "held.x", []byte(`{"held":1}`), distributer.WithID("held-1")) }()
	// memory:// waits for room within the call; RabbitMQ returns and
	// retries in the background. Either way nothing may resolve yet.
	var res *distributer.PublishResult
	select {
	case res = <-call:
	case <-time.After(3 * h.Quiet):
	}
	if res != nil {
		select {
		case <-res.Done():
			id, err := res.Get(ctx)
			t.Fatalf("result resolved (%q, %v) while the broker took no message on held.x", id, err)
		case <-time.After(3 * h.Quiet):
		}
	}
	release()
	if res == nil {
		select {
		case res = <-call:
		case <-time.After(h.Timeout):
			t.Fatalf("PublishAsync still waiting %v after the broker took messages again", h.Timeout)
		}
	}
	if id, err := e.get(res, "held message"); err != nil || id != "held-1" {
		t.Fatalf("Get = (%q, %v), want (held-1, nil)", id, err)
	}
	r.waitFor(t, h.Timeout, "the held message", func(ms []distributer.Message) bool {
		for _, m := range ms {
			if m.ID == "held-1" {
				return true
			}
		}
		return false
	})
}

// Invalid messages, a done context and a closed Distributer give results
// that are resolved when PublishAsync returns, with the errors Publish
// returns; nothing is sent. Flush after Close returns nil.
func testAsyncRefused(t *testing.T, h *Harness) {
	e := newEnv(t, h)
	d := e.openURL(withParam(e.url, "max_message_bytes=1000"))
	r := newRecorder()
	e.subscribe(d, []string{"ref.#"}, r)
	ctx := e.ctx()
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	large := []byte(`"` + strings.Repeat("x", 999) + `"`)
	for _, c := range []struct {
		what  string
		ctx   context.Context
		topic string
		body  []byte
		want  error
	}{
		{"invalid JSON", ctx, "ref.a", []byte(`{`), distributer.ErrInvalidJSON},
		{"invalid topic", ctx, "ref.*", []byte(`{}`), distributer.ErrInvalidTopic},
		{"body over max_message_bytes", ctx, "ref.b", large, distributer.ErrTooLarge},
		{"cancelled context", cancelled, "ref.c", []byte(`{}`), context.Canceled},
	} {
		res := d.PublishAsync(c.ctx, c.topic, c.body)
		if !resolved(res) {
			t.Errorf("%s: result not resolved when PublishAsync returned", c.what)
			continue
		}
		_, err := res.Get(ctx)
		syncErr := d.Publish(c.ctx, c.topic, c.body)
		if !errors.Is(err, c.want) || err == nil || syncErr == nil || err.Error() != syncErr.Error() {
			t.Errorf("%s: PublishAsync error %v, want %v as Publish returns it (%v)", c.what, err, c.want, syncErr)
		}
	}
	var te *distributer.TooLargeError
	if _, err := d.PublishAsync(ctx, "ref.b", large).Get(ctx); !errors.As(err, &te) || te.Size != 1001 || te.Limit != 1000 {
		t.Errorf("too large: %v, want a *TooLargeError of 1001 bytes, limit 1000", err)
	}
	e.publish(d, "ref.marker", `{}`)
	if got := r.waitTopic(t, h.Timeout, "ref.marker"); len(got) != 1 {
		t.Errorf("deliveries %s: a refused message was sent", summary(got))
	}

	dc := e.open()
	if err := dc.Close(); err != nil {
		t.Fatal(err)
	}
	res := dc.PublishAsync(ctx, "ref.closed", []byte(`{}`))
	if !resolved(res) {
		t.Fatal("PublishAsync after Close: result not resolved when it returned")
	}
	if _, err := res.Get(ctx); !errors.Is(err, distributer.ErrClosed) {
		t.Errorf("PublishAsync after Close: %v, want ErrClosed", err)
	}
	if err := dc.Flush(ctx); err != nil {
		t.Errorf("Flush after Close = %v, want nil", err)
	}
}

// A message the broker does not take fails its own result, when the retry
// bound (AsyncSettings.Timeout; memory://: the context of the call that
// waits for room) has passed, with the errors Publish gives in the same
// case; the results of other messages are not affected.
func testAsyncNotConfirmed(t *testing.T, h *Harness) {
	e := newEnv(t, h)
	wait := max(500*time.Millisecond, 2*h.Quiet)
	d := e.openWith(distributer.WithAsyncSettings(distributer.AsyncSettings{Timeout: wait}))
	release := e.jam("nc.jammed")
	defer release()
	ctx := e.ctx()
	pctx, cancel := context.WithTimeout(ctx, wait)
	syncErr := d.Publish(pctx, "nc.jammed", []byte(`{"n":0}`))
	cancel()
	if !errors.Is(syncErr, context.DeadlineExceeded) {
		t.Fatalf("Publish to a jammed topic = %v, want an error wrapping context.DeadlineExceeded", syncErr)
	}

	pctx, cancel = context.WithTimeout(ctx, wait)
	defer cancel()
	t0 := time.Now()
	jammed := d.PublishAsync(pctx, "nc.jammed", []byte(`{"n":1}`))
	free := d.PublishAsync(ctx, "nc.free", []byte(`{"n":2}`))
	_, err := e.get(jammed, "jammed message")
	el := time.Since(t0)
	if err == nil {
		t.Fatal("a message the broker never took resolved with nil")
	}
	if el < wait*9/10 {
		t.Errorf("the jammed message failed after %v, before its bound of %v", el, wait)
	}
	if !errors.Is(err, context.DeadlineExceeded) || !strings.HasPrefix(err.Error(), `distributer: publish to "nc.jammed": `) {
		t.Errorf("jammed message: %v, want an error naming the topic and wrapping context.DeadlineExceeded", err)
	}
	for _, leaf := range leaves(syncErr) {
		if !errors.Is(err, leaf) {
			t.Errorf("jammed message: %v does not wrap %v, which Publish's error does (%v)", err, leaf, syncErr)
		}
	}
	if _, err := e.get(free, "message on a free topic"); err != nil {
		t.Errorf("message on a free topic: %v, want nil", err)
	}
}

// leaves returns the errors at the ends of err's wrapping tree.
func leaves(err error) []error {
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		return leaves(u.Unwrap())
	case interface{ Unwrap() []error }:
		var out []error
		for _, e := range u.Unwrap() {
			out = append(out, leaves(e)...)
		}
		return out
	case nil:
		return nil
	}
	return []error{err}
}

// Flow control: once PublishAsync returns, at most MaxOutstandingMessages
// results are unresolved, and their bodies total at most
// MaxOutstandingBytes; a body larger than that is sent alone. Every
// message is delivered.
func testAsyncFlowControl(t *testing.T, h *Harness) {
	e := newEnv(t, h)
	body := []byte(`{"pad":"` + strings.Repeat("p", 100) + `"}`)
	const n = 300
	ds := e.open()
	r := newRecorder()
	e.subscribe(ds, []string{"fc.#"}, r)
	ctx := e.ctx()
	total := 0
	for _, c := range []struct {
		what     string
		settings distributer.AsyncSettings
		limit    int
	}{
		{"MaxOutstandingMessages 4", distributer.AsyncSettings{MaxOutstandingMessages: 4}, 4},
		{"MaxOutstandingBytes of 3 bodies", distributer.AsyncSettings{MaxOutstandingBytes: 3 * len(body)}, 3},
	} {
		d := e.openWith(distributer.WithAsyncSettings(c.settings))
		var results []*distributer.PublishResult
		oldest, most := 0, 0 // results[:oldest] are resolved
		for range n {
			results = append(results, d.PublishAsync(ctx, "fc.m", body))
			for oldest < len(results) && resolved(results[oldest]) {
				oldest++
			}
			out := 0
			for _, res := range results[oldest:] {
				if !resolved(res) {
					out++
				}
			}
			most = max(most, out)
		}
		if most > c.limit {
			t.Errorf("%s: %d results were outstanding at once, want at most %d", c.what, most, c.limit)
		}
		big := d.PublishAsync(ctx, "fc.big", []byte(`"`+strings.Repeat("b", 10*len(body))+`"`))
		if err := d.Flush(ctx); err != nil {
			t.Fatalf("%s: Flush: %v", c.what, err)
		}
		for i, res := range append(results, big) {
			if !resolved(res) {
				t.Fatalf("%s: result %d not resolved after Flush", c.what, i)
			}
			if _, err := res.Get(ctx); err != nil {
				t.Fatalf("%s: result %d: %v", c.what, i, err)
			}
		}
		total += n + 1
	}
	r.waitN(t, 2*h.Timeout, total)
}

// When flow control is full, PublishAsync waits for room until its context
// ends, and fails that message only; the messages it let in before are
// kept, and resolve with nil once the broker takes them again.
func testAsyncFlowControlWaits(t *testing.T, h *Harness) {
	e := newEnv(t, h)
	const limit = 3
	d := e.openWith(distributer.WithAsyncSettings(distributer.AsyncSettings{MaxOutstandingMessages: limit, Timeout: -1}))
	r := newRecorder()
	e.subscribe(d, []string{"fw.#"}, r)
	release := e.jam("fw.jammed")
	defer release()
	ctx := e.ctx()
	wait := max(300*time.Millisecond, 2*h.Quiet)
	var (
		accepted []*distributer.PublishResult
		failed   error
		took     time.Duration
	)
	for i := range 2 * limit {
		cctx, cancel := context.WithTimeout(ctx, wait)
		t0 := time.Now()
		res := d.PublishAsync(cctx, "fw.jammed", fmt.Appendf(nil, `{"i":%d}`, i), distributer.WithID(fmt.Sprintf("fw-%d", i)))
		took = time.Since(t0)
		cancel()
		if resolved(res) {
			_, failed = res.Get(ctx)
			if failed == nil {
				t.Fatalf("message %d resolved with nil while the broker took nothing", i)
			}
			break
		}
		accepted = append(accepted, res)
	}
	if failed == nil {
		t.Fatalf("%d calls of PublishAsync to a jammed topic with MaxOutstandingMessages %d all returned pending results: flow control let them all in", 2*limit, limit)
	}
	if len(accepted) > limit {
		t.Errorf("%d messages let in, more than MaxOutstandingMessages %d", len(accepted), limit)
	}
	if !errors.Is(failed, context.DeadlineExceeded) || took < wait*9/10 {
		t.Errorf("the call that found no room returned after %v with %v, want it to wait %v and fail with context.DeadlineExceeded", took, failed, wait)
	}
	for i, res := range accepted {
		if resolved(res) {
			_, err := res.Get(ctx)
			t.Errorf("message %d let in resolved (%v) while the broker took nothing: dropped?", i, err)
		}
	}
	release()
	if err := d.Flush(ctx); err != nil {
		t.Fatalf("Flush after release: %v", err)
	}
	for i, res := range accepted {
		if id, err := res.Get(ctx); err != nil {
			t.Errorf("message %d (%s): %v after the broker took messages again, want nil", i, id, err)
		}
	}
	r.waitFor(t, h.Timeout, "the messages let in", func(ms []distributer.Message) bool {
		seen := map[string]bool{}
		for _, m := range ms {
			seen[m.ID] = true
		}
		for i := range accepted {
			if !seen[fmt.Sprintf("fw-%d", i)] {
				return false
			}
		}
		return true
	})
}

// Close flushes: results outstanding when it is called resolve with nil
// (the broker is up) before it returns, and the messages are delivered.
// PublishAsync after Close fails with ErrClosed.
func testAsyncCloseFlushes(t *testing.T, h *Harness) {
	e := newEnv(t, h)
	dp, ds := e.open(), e.open()
	r := newRecorder()
	e.subscribe(ds, []string{"cf.#"}, r)
	ctx := e.ctx()
	const n = 300
	results := make([]*distributer.PublishResult, n)
	for i := range n {
		results[i] = dp.PublishAsync(ctx, "cf.m", fmt.Appendf(nil, `{"i":%d}`, i))
	}
	if err := dp.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	for i, res := range results {
		if !resolved(res) {
			t.Fatalf("result %d unresolved after Close returned", i)
		}
		if _, err := res.Get(ctx); err != nil {
			t.Fatalf("result %d: %v, want nil: Close must flush", i, err)
		}
	}
	r.waitN(t, h.Timeout, n)
	if _, err := dp.PublishAsync(ctx, "cf.m", []byte(`{}`)).Get(ctx); !errors.Is(err, distributer.ErrClosed) {
		t.Errorf("PublishAsync after Close: %v, want ErrClosed", err)
	}
}

// Close with messages the broker does not take: it waits for them at most
// the drain timeout, then resolves every result still outstanding, and
// every call still waiting (for room, or in the driver), with ErrClosed.
// No goroutine is left.
func testAsyncCloseResolves(t *testing.T, h *Harness) {
	e := newEnv(t, h)
	const drain = 300 * time.Millisecond
	slack := max(2*time.Second, 5*h.Quiet)
	opts := append(append([]distributer.Option{distributer.WithLogger(discard)}, h.Options...),
		distributer.WithDrainTimeout(drain),
		distributer.WithAsyncSettings(distributer.AsyncSettings{MaxOutstandingMessages: 2, Timeout: -1}))
	ctx := e.ctx()
	d, err := distributer.Open(ctx, e.url, opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	release := e.jam("cr.jammed")
	defer release()
	before := goleak.IgnoreCurrent()
	const calls = 6
	results := make(chan *distributer.PublishResult, calls)
	var wg sync.WaitGroup
	for i := range calls {
		wg.Go(func() { results <- d.PublishAsync(ctx, "cr.jammed", fmt.Appendf(nil, `{"i":%d}`, i)) })
	}
	time.Sleep(2 * h.Quiet) // the calls reach the driver or wait for room
	t0 := time.Now()
	if err := d.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if el := time.Since(t0); el > drain+slack {
		t.Errorf("Close took %v with a drain timeout of %v", el, drain)
	}
	returned := make(chan struct{})
	go func() { wg.Wait(); close(returned) }()
	select {
	case <-returned:
	case <-time.After(slack):
		t.Fatalf("PublishAsync calls still running %v after Close returned", slack)
	}
	close(results)
	for res := range results {
		if !resolved(res) {
			t.Fatal("a result is unresolved after Close")
		}
		if _, err := res.Get(ctx); !errors.Is(err, distributer.ErrClosed) {
			t.Errorf("result after Close: %v, want ErrClosed", err)
		}
	}
	release()
	goleak.VerifyNone(t, append([]goleak.Option{before}, h.LeakOptions...)...)
}
