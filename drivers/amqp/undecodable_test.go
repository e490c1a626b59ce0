package amqp_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/distributer/distributer"
	"github.com/distributer/distributer/distributertest"
)

// poison is a message whose header table amqp091-go v1.16.0 cannot decode
// (and RabbitMQ forwards), with what its dead letter's reason must say.
type poison struct {
	id, reason string
	table      []byte
}

func poisons() []poison {
	nested := fieldTable(field("leaf", 'V', nil))
	for range 40 {
		nested = fieldTable(field("n", 'F', nested))
	}
	elems := make([]byte, 9000)
	for i := range elems {
		elems[i] = 'V'
	}
	return []poison{
		{"poison-8193", "header table: 8193 entries, the client decodes at most 8192", floodTable(8193)},
		{"poison-10000", "header table: 10000 entries, the client decodes at most 8192", floodTable(10000)},
		{"poison-nested", `header table: entry "n": tables and arrays nested deeper than 32`, nested},
		{"poison-array", `header table: entry "a": an array of more than 8192 elements`, fieldTable(field("a", 'A', longstr(elems)))},
	}
}

// A message whose header table the client library cannot decode (8193 and
// 10000 headers, nesting, a huge array) never stalls its queue and never
// takes a valid neighbour with it, on classic and quorum group queues:
// the poisons sit between valid messages, in flight together (prefetch
// 64); each is dead-lettered once, with a reason naming the fault and an
// ERROR log naming the queue, without reaching the handler; every valid
// message, the canary last, is handled exactly once and none is
// dead-lettered; a message with a forged marker header is handled as
// any other; the connection is never lost; Close leaves nothing behind.
func TestUndecodableHeaders(t *testing.T) {
	for _, qt := range []string{"classic", "quorum"} {
		t.Run(qt, func(t *testing.T) {
			base := brokerURL(t)
			raw, ns := newNamespace(t, base, []string{"workers"}, "queue_type", qt, "prefetch", "64", "reconnect_min", "50ms")
			undecodableScenario(t, raw, raw, ns)
		})
	}
}

// testTLSUndecodable: the same over amqps (the driver does the TLS
// handshake itself so that the frame filter sees plain frames); the
// messages are published on the node's plain port.
func testTLSUndecodable(t *testing.T, p pki, tlsPort, base string) {
	plain, ns := newNamespace(t, base, []string{"workers"}, "prefetch", "64", "reconnect_min", "50ms")
	u, err := url.Parse(plain)
	if err != nil {
		t.Fatal(err)
	}
	u.Scheme, u.Host = "amqps", "127.0.0.1:"+tlsPort
	tlsURL := withQuery(t, u.String(), "cacertfile", p.ca, "certfile", p.clientCert, "keyfile", p.clientKey,
		"server_name_indication", "localhost")
	undecodableScenario(t, tlsURL, plain, ns)
}

// undecodableScenario runs the poison scenario with the driver on raw;
// plain is an amqp:// URL of the same broker and namespace for the raw
// publisher and the dead-letter watcher.
func undecodableScenario(t *testing.T, raw, plain string, ns namespace) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	dead := watchDeadLetters(t, plain)
	pub := dialRaw(t, plain)
	defer pub.close()

	ignore := goleak.IgnoreCurrent()
	var logs syncBuffer
	d, err := distributer.Open(ctx, raw, distributer.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu      sync.Mutex
		handled = map[string]int{}
		gate    = make(chan struct{})
		canary  = make(chan struct{})
	)
	h := distributer.HandlerFunc(func(ctx context.Context, m *distributer.Message) error {
		select { // the first delivery waits until everything is queued
		case <-gate:
		case <-ctx.Done():
			return ctx.Err()
		}
		mu.Lock()
		defer mu.Unlock()
		handled[m.ID]++
		if m.ID == "canary" {
			close(canary)
		}
		return nil
	})
	sub, err := d.Subscribe(ctx, []string{"flood.#"}, h, distributer.Group("workers"))
	if err != nil {
		t.Fatal(err)
	}

	var valid []string
	publish := func(id string) {
		t.Helper()
		if err := d.Publish(ctx, "flood.ok", []byte(`{"ok":true}`), distributer.WithID(id)); err != nil {
			t.Fatal(err)
		}
		valid = append(valid, id)
	}
	for i := range 10 {
		publish(fmt.Sprint("before-", i))
	}
	ps := poisons()
	for _, p := range ps {
		pub.publish(ns.exchange, "flood.poison", rawMessage{headers: p.table, id: p.id, body: []byte(`{"poison":true}`)})
		for i := range 5 {
			publish(fmt.Sprint("after-", p.id, "-", i))
		}
	}
	// A publisher's own marker, with or without a token, is just a header.
	pub.publish(ns.exchange, "flood.ok", rawMessage{id: "forged", body: []byte(`{"ok":true}`), headers: fieldTable(
		field("x-distributer-undecodable", 'S', longstr([]byte("forged"))),
		field("x-distributer-undecodable-AAAAAAAAAAAAAAAAAAAAAAAAAA", 'S', longstr([]byte("forged"))))})
	valid = append(valid, "forged")
	publish("canary")
	close(gate)

	select {
	case <-canary:
	case <-ctx.Done():
		mu.Lock()
		t.Fatalf("the canary was not handled (handled %d of %d valid messages); logs:\n%s", len(handled), len(valid), tail(logs.String(), 40))
	}

	// The poisons' dead letters, and no other.
	letters := map[string]distributertest.DeadLetter{}
	grace := time.After(time.Hour)
	for done := false; !done; {
		select {
		case dl := <-dead:
			if _, dup := letters[dl.ID]; dup {
				t.Errorf("%s dead-lettered twice", dl.ID)
			}
			letters[dl.ID] = dl
			if len(letters) == len(ps) {
				grace = time.After(300 * time.Millisecond) // for any unexpected one
			}
		case <-grace:
			done = true
		case <-ctx.Done():
			t.Fatalf("dead letters: got %d, want %d", len(letters), len(ps))
		}
	}
	queue := ns.prefix + "workers"
	for _, p := range ps {
		dl, ok := letters[p.id]
		if !ok {
			t.Errorf("%s not dead-lettered", p.id)
			continue
		}
		delete(letters, p.id)
		if !strings.Contains(dl.Reason, p.reason) || !strings.HasPrefix(dl.Reason, "undecodable AMQP properties: ") {
			t.Errorf("%s: dead letter reason %q, want it to say %q", p.id, dl.Reason, p.reason)
		}
		if string(dl.Body) != `{"poison":true}` || dl.Topic != "flood.poison" || dl.Headers["x-distributer-queue"] != queue {
			t.Errorf("%s: dead letter %+v", p.id, dl)
		}
		for k := range dl.Headers {
			if strings.HasPrefix(k, "x-distributer-undecodable") {
				t.Errorf("%s: the dead letter carries the marker %s", p.id, k)
			}
		}
	}
	for id := range letters {
		t.Errorf("%s dead-lettered, it should not be", id)
	}

	mu.Lock()
	for _, id := range valid {
		if handled[id] != 1 {
			t.Errorf("%s handled %d times, want once", id, handled[id])
		}
		delete(handled, id)
	}
	for id, n := range handled {
		t.Errorf("the handler got %s (%d times)", id, n)
	}
	mu.Unlock()

	if err := sub.Err(); err != nil {
		t.Errorf("subscription ended: %v", err)
	}
	if err := d.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	goleak.VerifyNone(t, ignore)

	out := logs.String()
	for _, s := range []string{"connection lost", "reconnect", "re-subscribing"} {
		if strings.Contains(out, s) {
			t.Errorf("logs say %q: the connection or channel was lost:\n%s", s, tail(out, 40))
		}
	}
	var errs []string
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "level=ERROR") {
			errs = append(errs, l)
		}
	}
	if len(errs) != len(ps) {
		t.Errorf("%d ERROR logs, want one per poison (%d):\n%s", len(errs), len(ps), strings.Join(errs, "\n"))
	}
	for _, l := range errs {
		if !strings.Contains(l, "queue="+queue) || !strings.Contains(l, "undecodable AMQP properties") {
			t.Errorf("ERROR log does not name the queue and the cause: %s", l)
		}
	}
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// A content header published at the broker's frame_max decodes on its
// first delivery; returned to a quorum queue (the handler failed), it comes
// back with the broker's x-delivery-count, larger than the client accepts.
// It is dead-lettered with the reason, once, the valid messages around it
// are handled once, and the connection is never lost.
func TestContentHeaderOutgrowsFrameMax(t *testing.T) {
	dl, frameMax := frameMaxScenario(t, "queue_type", "quorum")
	if dl.ID != "big" || !strings.HasPrefix(dl.Reason, "undecodable AMQP properties: content header of ") ||
		!strings.Contains(dl.Reason, fmt.Sprintf("the client accepts at most %d", frameMax-8)) || string(dl.Body) != `{"big":true}` {
		t.Errorf("dead letter %+v", dl)
	}
}

// A closing member gives the deliveries it had prefetched back to the group
// (with their attempt), but a copy of an undecodable one would lose the
// marker with its header table: that one is dead-lettered instead, and the
// next member gets everything else, once.
func TestUndecodableHeadersOnClose(t *testing.T) {
	base := brokerURL(t)
	raw, ns := newNamespace(t, base, []string{"workers"}, "prefetch", "64")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	dead := watchDeadLetters(t, raw)
	pub := dialRaw(t, raw)
	defer pub.close()
	d, err := distributer.Open(ctx, raw)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()

	started := make(chan struct{})
	first, err := d.Subscribe(ctx, []string{"close.#"}, distributer.HandlerFunc(func(ctx context.Context, m *distributer.Message) error {
		close(started) // only ever called once: it holds the first delivery until Close
		<-ctx.Done()
		return ctx.Err()
	}), distributer.Group("workers"))
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{"v-0"}
	if err := d.Publish(ctx, "close.ok", []byte(`{}`), distributer.WithID("v-0")); err != nil {
		t.Fatal(err)
	}
	<-started
	pub.publish(ns.exchange, "close.poison", rawMessage{headers: floodTable(10000), id: "poison", body: []byte(`{}`)})
	for i := 1; i < 5; i++ {
		id := fmt.Sprint("v-", i)
		if err := d.Publish(ctx, "close.ok", []byte(`{}`), distributer.WithID(id)); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	time.Sleep(200 * time.Millisecond) // the broker sends them to the busy member (prefetch 64)
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}

	var (
		mu      sync.Mutex
		handled = map[string]int{}
		all     = make(chan struct{})
	)
	if _, err := d.Subscribe(ctx, []string{"close.#"}, distributer.HandlerFunc(func(_ context.Context, m *distributer.Message) error {
		mu.Lock()
		defer mu.Unlock()
		handled[m.ID]++
		if len(handled) == len(ids) {
			close(all)
		}
		return nil
	}), distributer.Group("workers")); err != nil {
		t.Fatal(err)
	}
	select {
	case <-all:
	case <-ctx.Done():
		t.Fatalf("the next member got %v", handled)
	}
	select {
	case dl := <-dead:
		if dl.ID != "poison" || !strings.Contains(dl.Reason, "10000 entries") {
			t.Errorf("dead letter %+v", dl)
		}
	case <-ctx.Done():
		t.Fatal("the poison was not dead-lettered")
	}
	select {
	case dl := <-dead:
		t.Errorf("another dead letter: %+v", dl)
	case <-time.After(300 * time.Millisecond):
	}
	mu.Lock()
	defer mu.Unlock()
	for _, id := range ids {
		if handled[id] != 1 {
			t.Errorf("%s handled %d times by the next member", id, handled[id])
		}
	}
	if len(handled) != len(ids) {
		t.Errorf("the next member got %v", handled)
	}
}
