package amqp_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/distributer/distributer"
	"github.com/distributer/distributer/drivers/amqp"
)

// adminScene is a namespace with two groups bound to "orders.#":
// "workers", which rejects messages while reject is set, and "audit",
// which takes everything. Deliveries are counted by group and id.
type adminScene struct {
	d       *distributer.Distributer
	a       *amqp.Admin
	raw     string
	reject  atomic.Bool
	mu      sync.Mutex
	seen    map[string]map[string][]int // group -> id -> attempts
	workers *distributer.Subscription
}

func newAdminScene(t *testing.T, ctx context.Context, opts ...string) *adminScene {
	t.Helper()
	raw, _ := newNamespace(t, brokerURL(t), []string{"workers", "audit"}, opts...)
	d, err := distributer.Open(ctx, raw)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	a, err := amqp.NewAdmin(d.DriverConn())
	if err != nil {
		t.Fatal(err)
	}
	sc := &adminScene{d: d, a: a, raw: raw, seen: map[string]map[string][]int{"workers": {}, "audit": {}}}
	sc.reject.Store(true)
	for _, g := range []string{"workers", "audit"} {
		sub, err := d.Subscribe(ctx, []string{"orders.#"}, distributer.HandlerFunc(func(_ context.Context, m *distributer.Message) error {
			sc.mu.Lock()
			sc.seen[g][m.ID] = append(sc.seen[g][m.ID], m.Attempt)
			sc.mu.Unlock()
			if g == "workers" && sc.reject.Load() && strings.HasPrefix(m.ID, "bad-") {
				return distributer.Reject(errors.New("cannot ship to the moon"))
			}
			return nil
		}), distributer.Group(g))
		if err != nil {
			t.Fatal(err)
		}
		if g == "workers" {
			sc.workers = sub
		}
	}
	return sc
}

func (sc *adminScene) count(group, id string) int {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return len(sc.seen[group][id])
}

// waitMessages waits until queue holds n ready messages.
func waitMessages(t *testing.T, ctx context.Context, a *amqp.Admin, queue string, n int) {
	t.Helper()
	var last amqp.QueueStat
	for ctx.Err() == nil {
		st, err := a.Stat(ctx, queue)
		if err != nil {
			t.Fatal(err)
		}
		if last = st; st.Messages == n {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("queue %s: %d messages, want %d", queue, last.Messages, n)
}

func waitFor(t *testing.T, ctx context.Context, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		if ctx.Err() != nil {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// The Admin's view of a group's dead letters: counts, browsing without
// consuming, replay to the group only or to every subscriber, checks,
// purge and delete, on classic and quorum queues.
func TestAdminDeadLetters(t *testing.T) {
	for _, qt := range []string{"classic", "quorum"} {
		t.Run(qt, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			sc := newAdminScene(t, ctx, "queue_type", qt)
			a := sc.a
			dlq := a.DeadLetterQueue("workers")
			if top := a.Topology(); dlq != top.DeadLetterExchange+"."+top.QueuePrefix+"workers" || a.GroupQueue("workers") != top.QueuePrefix+"workers" || top.VHost != "/" || top.QueueType != qt {
				t.Fatalf("names: %q, %+v", dlq, top)
			}
			start := time.Now()
			for i := range 6 {
				id := fmt.Sprintf("good-%d", i)
				if i%2 == 1 {
					id = fmt.Sprintf("bad-%d", i)
				}
				if err := sc.d.Publish(ctx, "orders.placed", []byte(fmt.Sprintf(`{"n":%d}`, i)), distributer.WithID(id), distributer.WithHeaders(map[string]string{"tenant": "t1"})); err != nil {
					t.Fatal(err)
				}
			}
			waitMessages(t, ctx, a, dlq, 3)
			st, err := a.Stat(ctx, a.GroupQueue("workers"))
			if err != nil || st.Consumers != 1 {
				t.Fatalf("group queue: %+v, %v", st, err)
			}

			// Browse twice: the same three, in order, with their details;
			// nothing removed.
			for range 2 {
				var ids []string
				err := a.Browse(ctx, dlq, 0, func(dl *amqp.DeadLetter) error {
					ids = append(ids, dl.ID)
					if dl.Topic != "orders.placed" || !strings.HasPrefix(dl.Reason, "rejected: cannot ship to the moon") || dl.Attempts != 1 ||
						dl.Queue != a.GroupQueue("workers") || dl.Group != "workers" || dl.Headers["tenant"] != "t1" || len(dl.Headers) != 1 ||
						dl.Time.Before(start.Add(-time.Second)) || time.Since(dl.Time) > time.Minute {
						t.Errorf("dead letter %+v", dl)
					}
					return nil
				})
				if qt == "quorum" { // returned messages may come back in another order
					slices.Sort(ids)
				}
				if err != nil || strings.Join(ids, ",") != "bad-1,bad-3,bad-5" {
					t.Fatalf("browse: %v, %v", ids, err)
				}
				waitMessages(t, ctx, a, dlq, 3)
			}
			var n int
			if err := a.Browse(ctx, dlq, 1, func(*amqp.DeadLetter) error { n++; return nil }); err != nil || n != 1 {
				t.Fatalf("browse 1: %d, %v", n, err)
			}
			stop := errors.New("stop")
			if err := a.Browse(ctx, dlq, 0, func(*amqp.DeadLetter) error { return stop }); !errors.Is(err, stop) {
				t.Fatalf("browse stopped by fn: %v", err)
			}
			waitMessages(t, ctx, a, dlq, 3)

			// Replay one by id, to the group only: workers get it again as a
			// first attempt, audit does not.
			sc.reject.Store(false)
			var outcomes []string
			res, err := a.Replay(ctx, dlq, amqp.ReplayOptions{
				Select: func(dl *amqp.DeadLetter) bool { return dl.ID == "bad-3" },
				Report: func(dl *amqp.DeadLetter, o amqp.ReplayOutcome, err error) {
					outcomes = append(outcomes, dl.ID+"="+o.String())
				},
			})
			slices.Sort(outcomes)
			if err != nil || res != (amqp.ReplayResult{Examined: 3, Replayed: 1, NotSelected: 2}) || strings.Join(outcomes, " ") != "bad-1=not selected bad-3=replayed bad-5=not selected" {
				t.Fatalf("replay by id: %+v, %v, %v", res, outcomes, err)
			}
			waitFor(t, ctx, "the replayed message", func() bool { return sc.count("workers", "bad-3") == 2 })
			waitMessages(t, ctx, a, dlq, 2)
			sc.mu.Lock()
			if at := sc.seen["workers"]["bad-3"]; at[1] != 1 {
				t.Errorf("replayed message's attempt: %v", at)
			}
			sc.mu.Unlock()
			if c := sc.count("audit", "bad-3"); c != 1 {
				t.Errorf("audit saw the replay to workers: %d deliveries", c)
			}

			// A check refuses bad-1: it stays. bad-5 goes to every subscriber.
			res, err = a.Replay(ctx, dlq, amqp.ReplayOptions{
				Check: func(dl *amqp.DeadLetter) error {
					if dl.ID == "bad-1" {
						return errors.New("invalid")
					}
					return nil
				},
				ToExchange: true,
			})
			if err != nil || res != (amqp.ReplayResult{Examined: 2, Replayed: 1, Invalid: 1}) {
				t.Fatalf("replay with check: %+v, %v", res, err)
			}
			waitFor(t, ctx, "the replay to every subscriber", func() bool {
				return sc.count("workers", "bad-5") == 2 && sc.count("audit", "bad-5") == 2
			})
			waitMessages(t, ctx, a, dlq, 1)

			// Delete refuses while workers consume; replay to a deleted group
			// queue fails and keeps the dead letter.
			if _, err := a.DeleteQueue(ctx, a.GroupQueue("workers"), false); !errors.Is(err, amqp.ErrInUse) {
				t.Fatalf("delete with a consumer: %v", err)
			}
			if err := sc.workers.Close(); err != nil {
				t.Fatal(err)
			}
			if n, err := a.DeleteQueue(ctx, a.GroupQueue("workers"), false); err != nil || n != 0 {
				t.Fatalf("delete: %d, %v", n, err)
			}
			if _, err := a.Stat(ctx, a.GroupQueue("workers")); !errors.Is(err, amqp.ErrNoQueue) || !strings.Contains(err.Error(), a.GroupQueue("workers")) {
				t.Fatalf("stat of a deleted queue: %v", err)
			}
			var why error
			res, err = a.Replay(ctx, dlq, amqp.ReplayOptions{Report: func(_ *amqp.DeadLetter, _ amqp.ReplayOutcome, err error) { why = err }})
			if err != nil || res.Failed != 1 || res.Replayed != 0 || why == nil || !strings.Contains(why.Error(), "does not exist") {
				t.Fatalf("replay to a deleted queue: %+v, %v, %v", res, why, err)
			}
			waitMessages(t, ctx, a, dlq, 1)

			// Purge.
			if n, err := a.Purge(ctx, dlq); err != nil || n != 1 {
				t.Fatalf("purge: %d, %v", n, err)
			}
			waitMessages(t, ctx, a, dlq, 0)
			for _, op := range []func() error{
				func() error { _, err := a.Purge(ctx, "no-such-queue-"+qt); return err },
				func() error { _, err := a.DeleteQueue(ctx, "no-such-queue-"+qt, true); return err },
				func() error { return a.Browse(ctx, "no-such-queue-"+qt, 0, nil) },
				func() error { _, err := a.Replay(ctx, "no-such-queue-"+qt, amqp.ReplayOptions{}); return err },
			} {
				if err := op(); !errors.Is(err, amqp.ErrNoQueue) {
					t.Errorf("missing queue: %v", err)
				}
			}
		})
	}
}

// A replay cut short (its context cancelled right after a copy was
// confirmed, before its dead letter was removed) loses nothing, and the
// next replay duplicates at most the one message in flight.
func TestAdminReplayInterrupted(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	sc := newAdminScene(t, ctx)
	a, dlq := sc.a, sc.a.DeadLetterQueue("workers")
	const n = 40
	for i := range n {
		if err := sc.d.Publish(ctx, "orders.placed", []byte(`{}`), distributer.WithID(fmt.Sprintf("bad-%02d", i))); err != nil {
			t.Fatal(err)
		}
	}
	waitMessages(t, ctx, a, dlq, n)
	sc.reject.Store(false)
	rctx, rcancel := context.WithCancel(ctx)
	checks := 0
	res, err := a.Replay(rctx, dlq, amqp.ReplayOptions{Check: func(*amqp.DeadLetter) error {
		if checks++; checks == 17 { // interrupt the 17th as it is published
			rcancel()
		}
		return nil
	}})
	rcancel()
	if !errors.Is(err, context.Canceled) || res.Replayed != 16 {
		t.Fatalf("interrupted replay: %+v, %v", res, err)
	}
	if res2, err := a.Replay(ctx, dlq, amqp.ReplayOptions{}); err != nil || res2.Replayed != n-16 {
		t.Fatalf("second replay: %+v, %v", res2, err)
	}
	waitMessages(t, ctx, a, dlq, 0)
	dups := 0
	waitFor(t, ctx, "every message", func() bool {
		sc.mu.Lock()
		defer sc.mu.Unlock()
		dups = 0
		for i := range n {
			c := len(sc.seen["workers"][fmt.Sprintf("bad-%02d", i)])
			if c < 2 {
				return false
			}
			dups += c - 2
		}
		return true
	})
	if dups > 1 {
		t.Errorf("%d duplicates, want at most 1", dups)
	}
}

func TestAdminNotAMQP(t *testing.T) {
	d, err := distributer.Open(context.Background(), "memory://")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := amqp.NewAdmin(d.DriverConn()); !errors.Is(err, amqp.ErrNotAMQP) {
		t.Fatalf("NewAdmin(memory): %v", err)
	}
}

// A replayed message that fails again comes back to the dead-letter queue
// while Replay runs: Replay recognises it by its id and leaves it for the
// next time instead of replaying it round and round.
func TestAdminReplayRepeated(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sc := newAdminScene(t, ctx)
	a, dlq := sc.a, sc.a.DeadLetterQueue("workers")
	for _, id := range []string{"bad-a", "bad-b"} {
		if err := sc.d.Publish(ctx, "orders.placed", []byte(`{}`), distributer.WithID(id)); err != nil {
			t.Fatal(err)
		}
	}
	waitMessages(t, ctx, a, dlq, 2)
	res, err := a.Replay(ctx, dlq, amqp.ReplayOptions{Check: func(dl *amqp.DeadLetter) error {
		if dl.ID == "bad-b" { // bad-a was replayed: wait for it to fail again
			waitFor(t, ctx, "bad-a back", func() bool { st, _ := a.Stat(ctx, dlq); return st.Messages >= 1 })
		}
		return nil
	}})
	if err != nil || res.Replayed != 2 || res.Repeated < 1 || res.Examined != res.Replayed+res.Repeated {
		t.Fatalf("replay: %+v, %v", res, err)
	}
	waitMessages(t, ctx, a, dlq, 2)
}
