package distributer_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/distributer/distributer"
	"github.com/distributer/distributer/driver"
)

// heldDriver is a driver with asynchronous confirms that the test gives:
// Send records each message and returns a Pending that waits until the
// test confirms (or fails) that message by its id.
type heldDriver struct{}

type heldConn struct {
	closing chan struct{}
	mu      sync.Mutex
	sent    []string // ids, in the order written
	waits   map[string]chan error
	changed chan struct{}
}

type heldPending struct {
	c   *heldConn
	ids []string
}

var (
	heldMu    sync.Mutex
	heldConns = map[string]*heldConn{}
)

func init() { driver.Register("held", heldDriver{}) }

func (heldDriver) Open(_ context.Context, u *url.URL) (driver.Conn, error) {
	c := &heldConn{closing: make(chan struct{}), waits: map[string]chan error{}, changed: make(chan struct{})}
	heldMu.Lock()
	heldConns[u.Host] = c
	heldMu.Unlock()
	return c, nil
}

func (c *heldConn) Send(_ context.Context, msgs []*driver.Message) driver.Pending {
	p := &heldPending{c: c}
	c.mu.Lock()
	for _, m := range msgs {
		c.sent = append(c.sent, m.ID)
		c.waits[m.ID] = make(chan error, 1)
		p.ids = append(p.ids, m.ID)
	}
	close(c.changed)
	c.changed = make(chan struct{})
	c.mu.Unlock()
	return p
}

func (p *heldPending) Wait(ctx context.Context) error {
	errs := make([]error, len(p.ids))
	failed := false
	for i, id := range p.ids {
		p.c.mu.Lock()
		ch := p.c.waits[id]
		p.c.mu.Unlock()
		select {
		case errs[i] = <-ch:
		case <-ctx.Done():
			errs[i] = ctx.Err()
		case <-p.c.closing:
			errs[i] = driver.ErrClosed
		}
		failed = failed || errs[i] != nil
	}
	switch {
	case len(errs) == 1:
		return errs[0]
	case failed:
		return &driver.BatchError{Errs: errs}
	}
	return nil
}

func (c *heldConn) Publish(ctx context.Context, msgs []*driver.Message) error {
	return c.Send(ctx, msgs).Wait(ctx)
}

func (c *heldConn) Subscribe(context.Context, driver.SubscribeRequest, driver.Handler) (driver.Subscription, error) {
	return nil, errors.New("held: no subscriptions")
}

func (c *heldConn) Close() error { close(c.closing); return nil }

// confirm resolves the message id with err, waiting until it is sent.
func (c *heldConn) confirm(t *testing.T, id string, err error) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		c.mu.Lock()
		ch, ok := c.waits[id]
		changed := c.changed
		c.mu.Unlock()
		if ok {
			ch <- err
			return
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("message %s never sent", id)
		}
	}
}

func (c *heldConn) sentIDs() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.sent...)
}

func openHeld(t *testing.T, opts ...distributer.Option) (*distributer.Distributer, *heldConn) {
	t.Helper()
	name := strings.NewReplacer("/", "-", "_", "-").Replace(strings.ToLower(t.Name()))
	d, err := distributer.Open(context.Background(), "held://"+name, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	heldMu.Lock()
	defer heldMu.Unlock()
	return d, heldConns[name]
}

func isDone(r *distributer.PublishResult) bool {
	select {
	case <-r.Done():
		return true
	default:
		return false
	}
}

// Get gives up with its context's error (and the id) while the result is
// pending, and returns the outcome once it is known; a driver's error
// reaches the result wrapped with the topic, for errors.Is.
func TestPublishAsyncGet(t *testing.T) {
	d, c := openHeld(t)
	ctx := context.Background()
	r := d.PublishAsync(ctx, "a.b", []byte(`{}`), distributer.WithID("m1"))
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if id, err := r.Get(short); id != "m1" || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Get before the confirm = (%q, %v), want (m1, DeadlineExceeded)", id, err)
	}
	if isDone(r) {
		t.Fatal("Done closed before the confirm")
	}
	done := r.Done()
	c.confirm(t, "m1", nil)
	<-done
	if id, err := r.Get(ctx); id != "m1" || err != nil {
		t.Fatalf("Get = (%q, %v), want (m1, nil)", id, err)
	}

	boom := errors.New("boom")
	r = d.PublishAsync(ctx, "a.c", []byte(`{}`), distributer.WithID("m2"))
	c.confirm(t, "m2", boom)
	if _, err := r.Get(ctx); !errors.Is(err, boom) || !strings.HasPrefix(err.Error(), `distributer: publish to "a.c": `) {
		t.Errorf("Get = %v, want boom wrapped with the topic", err)
	}
}

// Flush waits for the results of the calls that returned before it, not
// for later ones, and gives up when its context ends.
func TestFlushWaitsForEarlierResults(t *testing.T) {
	d, c := openHeld(t)
	ctx := context.Background()
	a := d.PublishAsync(ctx, "f.a", []byte(`{}`), distributer.WithID("a"))
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if err := d.Flush(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Flush with a pending result = %v, want DeadlineExceeded", err)
	}
	flushed := make(chan error, 1)
	go func() { flushed <- d.Flush(ctx) }()
	time.Sleep(20 * time.Millisecond) // Flush has counted "a"
	b := d.PublishAsync(ctx, "f.b", []byte(`{}`), distributer.WithID("b"))
	select {
	case err := <-flushed:
		t.Fatalf("Flush returned %v before a was confirmed", err)
	case <-time.After(20 * time.Millisecond):
	}
	c.confirm(t, "a", nil)
	select {
	case err := <-flushed:
		if err != nil || !isDone(a) {
			t.Fatalf("Flush = %v (a done: %v), want nil with a resolved", err, isDone(a))
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Flush still waiting for b, published after it began")
	}
	if isDone(b) {
		t.Error("b resolved without a confirm")
	}
	c.confirm(t, "b", nil)
	if err := d.Flush(ctx); err != nil || !isDone(b) {
		t.Errorf("Flush = %v, b done %v", err, isDone(b))
	}
}

// Flow control lets messages in in the order they came: a body larger than
// MaxOutstandingBytes waits until nothing is outstanding and goes alone,
// and a small message behind it waits its turn rather than overtaking it.
func TestFlowControlInOrder(t *testing.T) {
	d, c := openHeld(t, distributer.WithAsyncSettings(distributer.AsyncSettings{MaxOutstandingBytes: 100}))
	ctx := context.Background()
	body := func(n int) []byte { return []byte(`"` + strings.Repeat("x", n-2) + `"`) }
	small1 := d.PublishAsync(ctx, "fc.s", body(50), distributer.WithID("s1"))
	results := make(chan *distributer.PublishResult, 2)
	go func() { results <- d.PublishAsync(ctx, "fc.big", body(200), distributer.WithID("big")) }()
	time.Sleep(20 * time.Millisecond) // big waits for room
	go func() { results <- d.PublishAsync(ctx, "fc.s", body(10), distributer.WithID("s2")) }()
	time.Sleep(20 * time.Millisecond)
	if got := c.sentIDs(); len(got) != 1 {
		t.Fatalf("sent %v while s1 is outstanding, want only s1: big does not fit, s2 must not overtake it", got)
	}
	c.confirm(t, "s1", nil)
	c.confirm(t, "big", nil)
	c.confirm(t, "s2", nil)
	for range 2 {
		if _, err := (<-results).Get(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := small1.Get(ctx); err != nil {
		t.Fatal(err)
	}
	if got := c.sentIDs(); strings.Join(got, ",") != "s1,big,s2" {
		t.Errorf("sent %v, want s1,big,s2", got)
	}
}

// A result is resolved exactly once, and FailedResult makes one resolved
// already.
func TestFailedResult(t *testing.T) {
	boom := errors.New("boom")
	r := distributer.FailedResult(boom)
	if !isDone(r) {
		t.Fatal("FailedResult not done")
	}
	if id, err := r.Get(context.Background()); id != "" || err != boom {
		t.Errorf("Get = (%q, %v), want ('', boom)", id, err)
	}
}

// Thousands of messages outstanding at once, confirmed in order while more
// are sent: every result resolves, in order (the confirmer's queue is
// compacted on the way, never emptied).
func TestManyOutstanding(t *testing.T) {
	d, c := openHeld(t, distributer.WithAsyncSettings(distributer.AsyncSettings{MaxOutstandingMessages: 5000}))
	ctx := context.Background()
	const n = 4000
	results := make([]*distributer.PublishResult, 0, n)
	for i := range n {
		results = append(results, d.PublishAsync(ctx, "many.x", []byte(`{}`), distributer.WithID(fmt.Sprint(i))))
	}
	more := make(chan *distributer.PublishResult, n)
	go func() {
		for i := n; i < 2*n; i++ {
			more <- d.PublishAsync(ctx, "many.x", []byte(`{}`), distributer.WithID(fmt.Sprint(i)))
		}
		close(more)
	}()
	for i := range 2 * n {
		c.confirm(t, fmt.Sprint(i), nil)
	}
	for r := range more {
		results = append(results, r)
	}
	if err := d.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	for i, r := range results {
		if id, err := r.Get(ctx); err != nil || id != fmt.Sprint(i) {
			t.Fatalf("result %d = (%q, %v)", i, id, err)
		}
	}
}
