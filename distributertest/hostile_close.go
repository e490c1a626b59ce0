package distributertest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/distributer/distributer"
)

// A handler that ignores its context does not make Close hang: Close
// returns after the drain timeout with a *DrainError naming the
// subscriptions whose handlers still run (and only those). The close
// completes without them: a group's message goes to another member with
// its attempt count unchanged, even before the stuck handler returns (with
// DurableGroups: that member subscribes after the close);
// nothing is dead-lettered, and once the handlers return no goroutine is
// left and nothing is acknowledged twice.
func testCloseDrainTimeout(t *testing.T, h *Harness) {
	e := newEnv(t, h) // its dead-letter watcher runs until the test ends
	before := goleak.IgnoreCurrent()
	const drain = 300 * time.Millisecond
	slack := max(2*time.Second, 5*h.Quiet) // scheduling, and a networked driver's close
	open := func(opts ...distributer.Option) *distributer.Distributer {
		t.Helper()
		opts = append(append([]distributer.Option{distributer.WithLogger(discard)}, h.Options...), opts...)
		d, err := distributer.Open(e.ctx(), e.url, opts...)
		if err != nil {
			t.Fatalf("Open(%q): %v", e.url, err)
		}
		return d
	}
	d1, d2 := open(distributer.WithDrainTimeout(drain)), open()
	release := make(chan struct{})
	defer func() {
		select {
		case <-release:
		default:
			close(release) // a failed test must not leave handlers stuck
		}
		_ = d1.Close()
		_ = d2.Close()
	}()
	stuck, polite, member := newRecorder(), newRecorder(), newRecorder()
	returned := make(chan struct{}, 2)
	stuck.before = func(ctx context.Context, m *distributer.Message) error {
		<-release // ignores ctx
		returned <- struct{}{}
		return ctx.Err()
	}
	polite.before = func(ctx context.Context, m *distributer.Message) error {
		<-ctx.Done()
		return ctx.Err()
	}
	sub := func(d *distributer.Distributer, p string, r *recorder, opts ...distributer.SubscribeOption) *distributer.Subscription {
		t.Helper()
		s, err := d.Subscribe(e.ctx(), []string{p}, r, opts...)
		if err != nil {
			t.Fatalf("Subscribe(%q): %v", p, err)
		}
		return s
	}
	sg := sub(d1, "drain.g", stuck, distributer.Group("g"))
	sf := sub(d1, "drain.f", stuck)
	sp := sub(d1, "drain.f", polite)
	e.publish(d1, "drain.g", `{"n":"group"}`)
	e.publish(d1, "drain.f", `{"n":"fan-out"}`)
	stuck.waitN(t, h.Timeout, 2)
	polite.waitN(t, h.Timeout, 1)

	timed := func(what string, f func() error) *distributer.DrainError {
		t.Helper()
		start := time.Now()
		err := f()
		took := time.Since(start)
		var de *distributer.DrainError
		if !errors.Is(err, distributer.ErrDrainTimeout) || !errors.As(err, &de) {
			t.Fatalf("%s with a handler ignoring ctx = %v, want a *DrainError wrapping ErrDrainTimeout", what, err)
		}
		if took < drain || took > drain+slack {
			t.Errorf("%s returned after %v, want the drain timeout %v (+%v at most)", what, took, drain, slack)
		}
		if de.Timeout != drain {
			t.Errorf("%s: DrainError.Timeout = %v, want %v", what, de.Timeout, drain)
		}
		return de
	}
	checkNames := func(what string, de *distributer.DrainError, want ...distributer.StuckSubscription) {
		t.Helper()
		got := slices.Clone(de.Subscriptions)
		slices.SortFunc(got, func(a, b distributer.StuckSubscription) int { return strings.Compare(a.Group, b.Group) })
		if !slices.EqualFunc(got, want, func(a, b distributer.StuckSubscription) bool {
			return a.Group == b.Group && slices.Equal(a.Patterns, b.Patterns) && a.Handlers == b.Handlers
		}) {
			t.Errorf("%s: error names %+v, want %+v", what, got, want)
		}
		msg := de.Error()
		for _, s := range want {
			if !strings.Contains(msg, s.Patterns[0]) || (s.Group != "" && !strings.Contains(msg, fmt.Sprintf("%q", s.Group))) {
				t.Errorf("%s: error %q does not name %s (group %q)", what, msg, s.Patterns[0], s.Group)
			}
		}
	}
	de := timed("Subscription.Close", sg.Close)
	checkNames("Subscription.Close", de, distributer.StuckSubscription{Patterns: []string{"drain.g"}, Group: "g", Handlers: 1})
	waitDone(t, h.Timeout, sg, "group subscription after a timed-out Close")
	de = timed("Distributer.Close", d1.Close)
	checkNames("Distributer.Close (the fan-out subscription still stuck; not the one whose handler returned)", de,
		distributer.StuckSubscription{Patterns: []string{"drain.f"}, Handlers: 1})
	waitDone(t, h.Timeout, sf, "fan-out subscription after a timed-out Distributer.Close")
	waitDone(t, h.Timeout, sp, "the subscription whose handler returned")
	if err := d1.Publish(e.ctx(), "drain.g", []byte(`{}`)); !errors.Is(err, distributer.ErrClosed) {
		t.Errorf("Publish after a timed-out Close = %v, want ErrClosed", err)
	}

	// The stuck member's message is not lost: another member gets it,
	// uncounted, while the stuck handler still runs (a member that comes
	// later needs DurableGroups).
	if h.Capabilities.DurableGroups {
		sub(d2, "drain.g", member, distributer.Group("g"))
		got := member.waitN(t, h.Timeout, 1)
		if got[0].Attempt != 1 || string(got[0].Body) != `{"n":"group"}` {
			t.Errorf("other member got %s, want the stuck member's message with Attempt 1 (a close is not an attempt)", summary(got))
		}
	}
	// The stuck handlers return at last: their result is ignored (no
	// double acknowledgement, no crash, no dead letter), their goroutines end.
	close(release)
	for range 2 {
		select {
		case <-returned:
		case <-time.After(h.Timeout):
			t.Fatal("released handlers did not return")
		}
	}
	e.noDeadLetter()
	if got := member.all(); h.Capabilities.DurableGroups && len(got) != 1 {
		t.Errorf("other member got %s, want the one message once", summary(got))
	}
	if n := len(stuck.all()); n != 2 {
		t.Errorf("the stuck handler got %d deliveries, want 2 (none after Close)", n)
	}
	if err := d1.Close(); err != nil {
		t.Errorf("a later Distributer.Close = %v, want nil", err)
	}
	if err := d2.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	goleak.VerifyNone(t, append([]goleak.Option{before}, h.LeakOptions...)...)
}

// Closing a subscription cancels its handlers; a handler written the usual
// way then returns ctx.Err(). That failure is the close's, not the
// message's: over many closes, a group's messages come back to the next
// member with Attempt 1 every time, those handled as well as those waiting
// (a networked driver's prefetched deliveries), and nothing (group or
// fan-out) is ever dead-lettered.
func testCloseIsNotAnAttempt(t *testing.T, h *Harness) {
	groupBodies := []string{`{"n":"g1"}`, `{"n":"g2"}`, `{"n":"g3"}`}
	e := newEnv(t, h)
	d := e.open()
	// Handlers may run concurrently (a driver option): up to all of the
	// group's messages and the fan-out one at each close.
	started := make(chan distributer.Message, 4*len(groupBodies))
	handler := distributer.HandlerFunc(func(ctx context.Context, m *distributer.Message) error {
		started <- *m
		<-ctx.Done()
		return ctx.Err()
	})
	check := func(i int, m distributer.Message) {
		t.Helper()
		if m.Attempt != 1 {
			t.Fatalf("close %d: %s %s delivered with Attempt %d, want 1: closing its subscriptions counted as attempts", i, m.Topic, m.Body, m.Attempt)
		}
	}
	ctx := e.ctx()
	for i := range h.CloseLoops {
		g, err := d.Subscribe(ctx, []string{"closing.group"}, handler, distributer.Group("g"))
		if err != nil {
			t.Fatalf("close %d: Subscribe: %v", i, err)
		}
		f, err := d.Subscribe(ctx, []string{"closing.fan"}, handler)
		if err != nil {
			t.Fatalf("close %d: Subscribe: %v", i, err)
		}
		if i == 0 { // some handled at each close, the others wait (queued or prefetched)
			for _, b := range groupBodies {
				e.publish(d, "closing.group", b)
			}
		}
		e.publish(d, "closing.fan", fmt.Sprintf(`{"n":%d}`, i))
		for group, fan := false, false; !group || !fan; {
			select {
			case m := <-started:
				check(i, m)
				group, fan = group || m.Topic == "closing.group", fan || m.Topic == "closing.fan"
			case <-time.After(h.Timeout):
				t.Fatalf("close %d: no delivery to the group member (%v) or fan-out subscriber (%v) within %v", i, group, fan, h.Timeout)
			}
		}
		if err := g.Close(); err != nil {
			t.Fatalf("close %d: group member's Close: %v", i, err)
		}
		if err := f.Close(); err != nil {
			t.Fatalf("close %d: fan-out Close: %v", i, err)
		}
		for len(started) > 0 { // handlers that started meanwhile have returned
			check(i, <-started)
		}
		select {
		case dl := <-e.dl:
			t.Fatalf("close %d: %s %s dead-lettered (%q): closing must not dead-letter", i, dl.Topic, dl.Body, dl.Reason)
		default:
		}
	}
	// The group's messages are still there, for a member that handles them.
	r := newRecorder()
	e.subscribe(d, []string{"closing.group"}, r, distributer.Group("g"))
	got := r.waitN(t, h.Timeout, len(groupBodies))
	for _, m := range got {
		if m.Attempt != 1 {
			t.Errorf("after %d closes the group's message %s came with Attempt %d, want 1", h.CloseLoops, m.Body, m.Attempt)
		}
	}
	if b := bodies(got); !slices.Equal(slices.Sorted(slices.Values(b)), groupBodies) {
		t.Errorf("after %d closes the group's messages are %v, want %v", h.CloseLoops, b, groupBodies)
	}
	e.noDeadLetter()
}
