package amqp_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/distributer/distributer"
	"github.com/distributer/distributer/drivers/amqp"
	"github.com/distributer/distributer/internal/rabbitnode"
)

// Open waits for a broker that is down (issue 10, item 6): on a private
// node that is started only after Open was called, Open returns once the
// node is up; while the node stays down, the context's deadline ends Open
// with the last dial error; open_wait=0 fails at once.
func TestOpenWaitsForBroker(t *testing.T) {
	node := rabbitnode.NewNode(t, rabbitnode.Options{})
	if err := node.Kill(); err != nil {
		t.Fatal(err)
	}
	raw := "amqp://guest:guest@" + node.Addr() + "/?connect_timeout=2s&durable=false&exchange=" + uniqueName(t)

	start := time.Now()
	_, err := distributer.Open(context.Background(), raw+"&open_wait=0")
	if !errors.Is(err, amqp.ErrUnreachable) || time.Since(start) > 2*time.Second {
		t.Errorf("open_wait=0: %v after %v, want ErrUnreachable at once", err, time.Since(start))
	}

	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	start = time.Now()
	_, err = distributer.Open(ctx, raw)
	took := time.Since(start)
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, amqp.ErrUnreachable) || !strings.Contains(err.Error(), "connection refused") ||
		!strings.Contains(err.Error(), node.Addr()) {
		t.Errorf("Open with the node down = %v, want DeadlineExceeded with the last dial error (connection refused at %s)", err, node.Addr())
	}
	if took < time.Second || took > 3*time.Second {
		t.Errorf("Open with a 1.5s context gave up after %v", took)
	}

	type result struct {
		d   *distributer.Distributer
		err error
	}
	opened := make(chan result, 1)
	octx, ocancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer ocancel()
	start = time.Now()
	go func() {
		d, err := distributer.Open(octx, raw+"&open_wait=90s")
		opened <- result{d, err}
	}()
	time.Sleep(time.Second)
	select {
	case r := <-opened:
		t.Fatalf("Open returned before the node was started: %v", r.err)
	default:
	}
	if err := node.Start(octx); err != nil {
		t.Fatal(err)
	}
	r := <-opened
	if r.err != nil {
		t.Fatalf("Open while the node started: %v", r.err)
	}
	defer r.d.Close()
	t.Logf("Open returned after %v", time.Since(start))
	got := make(chan string, 1)
	if _, err := r.d.Subscribe(octx, []string{"wait.*"}, distributer.HandlerFunc(func(_ context.Context, m *distributer.Message) error {
		got <- string(m.Body)
		return nil
	})); err != nil {
		t.Fatal(err)
	}
	if err := r.d.Publish(octx, "wait.up", []byte(`"up"`)); err != nil {
		t.Fatal(err)
	}
	select {
	case b := <-got:
		if b != `"up"` {
			t.Errorf("got %s", b)
		}
	case <-octx.Done():
		t.Fatal("no delivery")
	}
}
