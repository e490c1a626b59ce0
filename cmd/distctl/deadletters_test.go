package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/distributer/distributer"
	"github.com/distributer/distributer/drivers/amqp"
)

// workers is a group on "orders.#" that rejects every message while
// broken is set (a bug), and records what it handled once fixed.
type workers struct {
	d      *distributer.Distributer
	a      *amqp.Admin
	broken atomic.Bool
	mu     sync.Mutex
	got    map[string][]int // id -> attempts
	sub    *distributer.Subscription
}

func newWorkers(t *testing.T, ctx context.Context, raw string) *workers {
	t.Helper()
	w := &workers{got: map[string][]int{}}
	w.d, w.a = admin(t, ctx, raw)
	w.broken.Store(true)
	sub, err := w.d.Subscribe(ctx, []string{"orders.#"}, distributer.HandlerFunc(func(_ context.Context, m *distributer.Message) error {
		if w.broken.Load() {
			reason := "bug 17: cannot ship"
			if strings.Contains(string(m.Body), `"qty": 0`) {
				reason = "quantity zero"
			}
			return distributer.Reject(errors.New(reason))
		}
		w.mu.Lock()
		w.got[m.ID] = append(w.got[m.ID], m.Attempt)
		w.mu.Unlock()
		return nil
	}), distributer.Group("workers"))
	if err != nil {
		t.Fatal(err)
	}
	w.sub = sub
	return w
}

// deadLetter publishes messages that the broken workers dead-letter, and
// waits until the dead-letter queue holds total.
func (w *workers) deadLetter(t *testing.T, ctx context.Context, total int, msgs ...[3]string) {
	t.Helper()
	for _, m := range msgs {
		if err := w.d.Publish(ctx, m[0], []byte(m[2]), distributer.WithID(m[1]), distributer.WithHeaders(map[string]string{"tenant": "t1"})); err != nil {
			t.Fatal(err)
		}
	}
	waitMessages(t, ctx, w.a, w.a.DeadLetterQueue("workers"), total)
}

// distinct is the number of messages handled, each counted once.
func (w *workers) distinct() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.got)
}

func (w *workers) handled(id string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.got[id])
}

// The dead-letter commands on one group: list, show (nothing consumed),
// replay by id, by reason and all (validated first), dry run, purge with
// its prompt, and unknown groups.
func TestDeadLetters(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	raw := namespace(t, "workers", "idle")
	w := newWorkers(t, ctx, raw)
	dlq := w.a.DeadLetterQueue("workers")
	w.deadLetter(t, ctx, 5,
		[3]string{"orders.placed", "m1", `{"id": "o-1", "qty": 1}`},
		[3]string{"orders.placed", "m2", `{"id": "o-2", "qty": 0}`}, // invalid: qty
		[3]string{"orders.cancelled", "m3", `{"id": "o-1", "reason": "customer"}`},
		[3]string{"orders.placed", "m4", `{"id": "o-4", "qty": 4}`},
		[3]string{"orders.placed", "m5", `{"id": "o-5", "qty": 5}`},
	)
	c := newCLI(t, envURL, raw, envSchemas, schemaDir)

	// list: text and JSON; an unknown group is an error, a group that
	// never dead-lettered has none.
	if _, err := w.d.Subscribe(ctx, []string{"misc.#"}, distributer.HandlerFunc(func(context.Context, *distributer.Message) error { return nil }), distributer.Group("idle")); err != nil {
		t.Fatal(err)
	}
	r := c.run(ctx, "dead-letters", "list", "workers", "idle").must(t, exitOK, "list")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "GROUP") || strings.Join(strings.Fields(lines[1])[:3], " ") != "workers "+dlq+" 5" ||
		!strings.HasSuffix(lines[1], "s") || strings.Join(strings.Fields(lines[2]), " ") != "idle "+w.a.DeadLetterQueue("idle")+" 0 -" {
		t.Errorf("list:\n%s", r.stdout)
	}
	r = c.run(ctx, "dead-letters", "list", "-format", "json", "workers", "nosuch").must(t, exitFailure, "list with an unknown group")
	var row dlRow
	if err := json.Unmarshal([]byte(r.stdout), &row); err != nil || row.Messages != 5 || row.Age == nil || *row.Age > 60 || *row.Age < 0 || row.Oldest == "" {
		t.Errorf("list json: %s (%v)", r.stdout, err)
	}
	if !strings.Contains(r.stderr, `unknown group "nosuch"`) {
		t.Errorf("unknown group: %s", r.stderr)
	}

	// show: all five, twice, nothing removed; filters; JSON.
	for range 2 {
		r = c.run(ctx, "dead-letters", "show", "workers").must(t, exitOK, "show")
		for _, want := range []string{
			" orders.placed id=m1 attempts=1\n  reason rejected: bug 17: cannot ship\n  from queue=" + w.a.GroupQueue("workers") + " group=workers\n  header tenant=t1\n  body {\n    \"id\": \"o-1\",\n    \"qty\": 1\n  }\n",
			"reason rejected: quantity zero",
			" orders.cancelled id=m3 attempts=1",
			"5 dead letter(s) shown from " + dlq + " (5 read, all left in the queue)",
		} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("show lacks %q:\n%s", want, r.stdout)
			}
		}
		waitMessages(t, ctx, w.a, dlq, 5)
	}
	r = c.run(ctx, "dead-letters", "show", "-format", "json", "-reason", "zero", "workers").must(t, exitOK, "show -reason")
	var rec dlRecord
	if err := json.Unmarshal([]byte(r.stdout), &rec); err != nil || rec.ID != "m2" || rec.Topic != "orders.placed" || rec.Attempts != 1 ||
		string(rec.Body) != `{"id":"o-2","qty":0}` || rec.Headers["tenant"] != "t1" || rec.Group != "workers" {
		t.Errorf("show json: %s (%v)", r.stdout, err)
	}
	r = c.run(ctx, "dead-letters", "show", "-n", "2", "workers").must(t, exitOK, "show -n")
	if strings.Count(r.stdout, "reason ") != 2 {
		t.Errorf("show -n 2:\n%s", r.stdout)
	}
	c.run(ctx, "dead-letters", "show", "nosuch").must(t, exitFailure, "show of an unknown group")
	r = c.run(ctx, "dead-letters", "show", "idle").must(t, exitOK, "show of a group without dead letters")
	if r.stdout != "0 dead letter(s) shown from "+w.a.DeadLetterQueue("idle")+" (0 read, all left in the queue)\n" {
		t.Errorf("idle: %q", r.stdout)
	}

	// The bug is fixed: replay by id, then a dry run, then all of them;
	// the invalid one stays.
	w.broken.Store(false)
	r = c.run(ctx, "dead-letters", "replay", "-id", "m4", "workers").must(t, exitOK, "replay -id")
	if !strings.HasPrefix(r.stdout, "replayed 1 of 5 dead letter(s) from "+dlq+" to group workers; left in the queue: 0 invalid, 0 failed, 4 not chosen") {
		t.Errorf("replay -id: %q", r.stdout)
	}
	waitFor(t, ctx, "m4 handled", func() bool { return w.handled("m4") == 1 })
	r = c.run(ctx, "dead-letters", "replay", "-id", "m4,m9", "workers").must(t, exitFailure, "replay of an id that is gone")
	if !strings.Contains(r.stderr, `id "m9": no such dead letter`) || !strings.Contains(r.stderr, `id "m4": no such dead letter`) {
		t.Errorf("missing ids: %s", r.stderr)
	}
	r = c.run(ctx, "dead-letters", "replay", "-all", "-dry-run", "workers").must(t, exitFailure, "dry run")
	if !strings.HasPrefix(r.stdout, "would replay 3 of 4 dead letter(s) from "+dlq+" to group workers; would leave 1 invalid, 0 failed, 0 not chosen (nothing changed)") ||
		!strings.Contains(r.stderr, "would not replay id=m2 topic=orders.placed: invalid: at /qty: must be >= 1 but found 0 (minimum)") {
		t.Errorf("dry run: %s\n%s", r.stdout, r.stderr)
	}
	waitMessages(t, ctx, w.a, dlq, 4)
	r = c.run(ctx, "dead-letters", "replay", "-all", "workers").must(t, exitFailure, "replay -all with an invalid one")
	if !strings.HasPrefix(r.stdout, "replayed 3 of 4 dead letter(s)") || !strings.Contains(r.stderr, "not replayed: id=m2 topic=orders.placed: invalid: at /qty: must be >= 1 but found 0 (minimum)") {
		t.Errorf("replay -all: %s\n%s", r.stdout, r.stderr)
	}
	waitFor(t, ctx, "the replayed messages", func() bool { return w.handled("m1") == 1 && w.handled("m3") == 1 && w.handled("m5") == 1 })
	w.mu.Lock()
	if at := w.got["m5"]; len(at) != 1 || at[0] != 1 {
		t.Errorf("a replayed message is a first attempt: %v", at)
	}
	w.mu.Unlock()
	waitMessages(t, ctx, w.a, dlq, 1)

	// -reason with -no-validate replays the invalid one; the workers now
	// reject it again (its quantity is zero): it comes back.
	w.broken.Store(true)
	r = c.run(ctx, "dead-letters", "replay", "-reason", "quantity", "-no-validate", "workers").must(t, exitOK, "replay -reason")
	if !strings.HasPrefix(r.stdout, "replayed 1 of 1 ") && !strings.HasPrefix(r.stdout, "replayed 1 of 2 ") { // 2: it came back while replay ran
		t.Errorf("replay -reason: %q", r.stdout)
	}
	waitMessages(t, ctx, w.a, dlq, 1)

	// purge: no is no, end of input is no, yes purges.
	c.stdin = "n\n"
	r = c.run(ctx, "dead-letters", "purge", "workers").must(t, exitFailure, "purge answered no")
	if !strings.Contains(r.stderr, "Purge 1 dead letter(s) from "+dlq+"? They cannot be brought back. [y/N] ") || !strings.Contains(r.stderr, "not purged") {
		t.Errorf("prompt: %s", r.stderr)
	}
	c.stdin = ""
	c.run(ctx, "dead-letters", "purge", "workers").must(t, exitFailure, "purge without an answer")
	c.stdin = "yes\n"
	r = c.run(ctx, "dead-letters", "purge", "workers").must(t, exitOK, "purge")
	if r.stdout != "purged 1 dead letter(s) from "+dlq+"\n" {
		t.Errorf("purge: %q", r.stdout)
	}
	c.stdin = ""
	r = c.run(ctx, "dead-letters", "purge", "-yes", "workers").must(t, exitOK, "purge of an empty queue")
	if r.stdout != dlq+" is empty: nothing to purge\n" {
		t.Errorf("empty purge: %q", r.stdout)
	}
	c.run(ctx, "dead-letters", "purge", "-yes", "nosuch").must(t, exitFailure, "purge of an unknown group")

	// Replay to a group whose queue is gone: refused, unless -to-exchange.
	w.deadLetter(t, ctx, 1, [3]string{"orders.placed", "m6", `{"id": "o-6", "qty": 6}`})
	if err := w.sub.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.a.DeleteQueue(ctx, w.a.GroupQueue("workers"), false); err != nil {
		t.Fatal(err)
	}
	r = c.run(ctx, "dead-letters", "replay", "-all", "workers").must(t, exitFailure, "replay to a deleted group")
	if !strings.Contains(r.stderr, "has no queue") {
		t.Errorf("deleted group: %s", r.stderr)
	}
	cnt := subscribeCounter(t, ctx, w.d, "audit", "orders.placed")
	t.Cleanup(func() { w.a.DeleteQueue(context.Background(), w.a.GroupQueue("audit"), true) })
	r = c.run(ctx, "dead-letters", "replay", "-all", "-to-exchange", "workers").must(t, exitOK, "replay -to-exchange")
	if !strings.Contains(r.stdout, "to the exchange "+strings.TrimSuffix(w.a.Topology().Exchange, "")+" (every subscriber)") {
		t.Errorf("-to-exchange: %q", r.stdout)
	}
	waitFor(t, ctx, "the audit group gets the replay", func() bool { return cnt.count() == 1 })
	waitMessages(t, ctx, w.a, dlq, 0)
}

// Dead letters other clients put in the queue: one without the driver's
// headers cannot be replayed (its topic is unknown) and stays; one the
// broker dead-lettered is read from its x-death (original routing key,
// reason, time).
func TestDeadLetterFormats(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	raw := namespace(t, "workers")
	w := newWorkers(t, ctx, raw)
	w.deadLetter(t, ctx, 1, [3]string{"orders.placed", "m1", `{"id": "o-1", "qty": 1}`})
	dlq := w.a.DeadLetterQueue("workers")
	pu, _ := url.Parse(raw)
	pu.RawQuery = ""
	conn, err := amqp091.Dial(pu.String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	died := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, p := range []amqp091.Publishing{
		{MessageId: "foreign", Body: []byte(`{"id": "o-2", "qty": 2}`)},
		{MessageId: "broker", Body: []byte(`{"id": "o-3", "qty": 3}`), Headers: amqp091.Table{
			"x-death": []any{amqp091.Table{"reason": "delivery_limit", "queue": w.a.GroupQueue("workers"), "time": died,
				"routing-keys": []any{"orders.placed"}, "count": int64(1), "exchange": w.a.Topology().Exchange}},
			"tenant": "t2",
		}},
	} {
		if err := ch.PublishWithContext(ctx, "", dlq, false, false, p); err != nil {
			t.Fatal(err)
		}
	}
	waitMessages(t, ctx, w.a, dlq, 3)
	c := newCLI(t, envURL, raw, envSchemas, schemaDir)
	r := c.run(ctx, "dead-letters", "show", "workers").must(t, exitOK, "show")
	for _, want := range []string{
		"time unknown (topic unknown) id=foreign attempts=0\n  reason \n  body {",
		"2026-01-02T03:04:05.000Z (",
		" orders.placed id=broker attempts=0\n  reason broker: delivery_limit\n  from queue=" + w.a.GroupQueue("workers") + " group=\n  header tenant=t2\n",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("show lacks %q:\n%s", want, r.stdout)
		}
	}
	w.broken.Store(false)
	r = c.run(ctx, "dead-letters", "replay", "-all", "workers").must(t, exitFailure, "replay")
	if !strings.HasPrefix(r.stdout, "replayed 2 of 3 dead letter(s)") || !strings.Contains(r.stderr, "not replayed: id=foreign topic=: failed: its original topic is unknown") {
		t.Errorf("replay: %s\n%s", r.stdout, r.stderr)
	}
	waitFor(t, ctx, "the replayed ones", func() bool { return w.handled("m1") == 1 && w.handled("broker") == 1 })
	waitMessages(t, ctx, w.a, dlq, 1)
}
