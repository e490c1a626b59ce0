package amqp_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/distributer/distributer"
	"github.com/distributer/distributer/distributertest"
	"github.com/distributer/distributer/drivers/amqp"
)

// frameMaxScenario publishes, on a group queue of a namespace with opts,
// a message "big" whose content header fills the broker's frame_max and
// whose handler always fails, then three valid messages (the last a
// canary). It waits for the first dead letter and the canary, checks that
// no second dead letter comes, that every valid message and "big" were
// handled once and that the connection was never lost, and returns the dead
// letter and the broker's frame_max.
func frameMaxScenario(t *testing.T, opts ...string) (distributertest.DeadLetter, int) {
	t.Helper()
	base := brokerURL(t)
	raw, ns := newNamespace(t, base, []string{"workers"}, append([]string{"reconnect_min", "50ms"}, opts...)...)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	dead := watchDeadLetters(t, raw)
	pub := dialRaw(t, raw)
	defer pub.close()

	var logs syncBuffer
	d, err := distributer.Open(ctx, raw, distributer.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var (
		mu      sync.Mutex
		handled = map[string]int{}
		canary  = make(chan struct{})
	)
	if _, err := d.Subscribe(ctx, []string{"big.#"}, distributer.HandlerFunc(func(_ context.Context, m *distributer.Message) error {
		mu.Lock()
		defer mu.Unlock()
		handled[m.ID]++
		switch m.ID {
		case "big":
			return errors.New("always fails")
		case "canary":
			close(canary)
		}
		return nil
	}), distributer.Group("workers")); err != nil {
		t.Fatal(err)
	}
	// The content header at frame_max - 8: 14 fixed octets, the content
	// type (17), the table, the delivery mode (1), the message id (4).
	size := pub.frameMax - 8
	pad := size - 14 - 17 - 1 - 4 - 4 - len(field("pad", 'S', nil)) - 4
	pub.publish(ns.exchange, "big.one", rawMessage{id: "big", body: []byte(`{"big":true}`),
		headers: fieldTable(field("pad", 'S', longstr(make([]byte, pad))))})
	for _, id := range []string{"after-0", "after-1", "canary"} {
		if err := d.Publish(ctx, "big.ok", []byte(`{}`), distributer.WithID(id)); err != nil {
			t.Fatal(err)
		}
	}
	var dl distributertest.DeadLetter
	select {
	case dl = <-dead:
	case <-ctx.Done():
		t.Fatalf("no dead letter; logs:\n%s", tail(logs.String(), 20))
	}
	select {
	case <-canary:
	case <-ctx.Done():
		t.Fatal("the canary was not handled")
	}
	select {
	case dl := <-dead:
		t.Errorf("another dead letter: %+v", dl)
	case <-time.After(300 * time.Millisecond):
	}
	mu.Lock()
	if handled["big"] != 1 || handled["after-0"] != 1 || handled["after-1"] != 1 || handled["canary"] != 1 {
		t.Errorf("handled %v, want each once", handled)
	}
	mu.Unlock()
	if out := logs.String(); strings.Contains(out, "connection lost") {
		t.Errorf("the connection was lost:\n%s", tail(out, 20))
	}
	return dl, pub.frameMax
}

// A delivery whose headers fill the frame fits, but its retry copy, with the
// driver's headers added, would not: the broker would close the connection
// on the copy (FRAME_ERROR) and the delivery would come back forever. The
// driver dead-letters it at its first failure instead (the dead letter
// without the publisher's headers, which cannot travel with the driver's),
// handles everything behind it, and keeps its connection.
func TestRetryCopyOutgrowsFrameMax(t *testing.T) {
	dl, _ := frameMaxScenario(t, "max_attempts", "5")
	if dl.ID != "big" || !strings.HasPrefix(dl.Reason, "cannot retry: ") || !strings.Contains(dl.Reason, "always fails") ||
		dl.Headers[amqp.HeaderHeadersDropped] != "1" || dl.Headers["pad"] != "" || string(dl.Body) != `{"big":true}` {
		t.Errorf("dead letter: id %q reason %q dropped %q pad %d octets body %s", dl.ID, dl.Reason, dl.Headers[amqp.HeaderHeadersDropped], len(dl.Headers["pad"]), dl.Body)
	}
}
