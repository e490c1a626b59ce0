package amqp_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/distributer/distributer"
	"github.com/distributer/distributer/drivers/amqp"
	"github.com/distributer/distributer/internal/rabbitnode"
)

// Tests on a private node (internal/rabbitnode), never on the shared broker
// on 5672: the node also listens for TLS, with a private CA.
//
// Fault tests: 10,000 messages streamed to a group subscriber while the
// broker's connections are forcibly closed, and while the broker app is
// stopped and started. Every message whose Publish returned nil must be
// handled at least once; duplicates are reported.
func TestPrivateNode(t *testing.T) {
	pki := newPKI(t)
	tlsPort := freePort(t)
	node := rabbitnode.NewNode(t, rabbitnode.Options{Config: []string{
		"listeners.ssl.default = 127.0.0.1:" + tlsPort,
		"ssl_options.cacertfile = " + pki.ca,
		"ssl_options.certfile = " + pki.serverCert,
		"ssl_options.keyfile = " + pki.serverKey,
		"ssl_options.verify = verify_peer",
		"ssl_options.fail_if_no_peer_cert = true",
	}})
	base := node.URL()

	t.Run("TLS", func(t *testing.T) {
		testTLS(t, pki, "amqps://guest:guest@127.0.0.1:"+tlsPort+"/")
	})
	t.Run("TLSUndecodableHeaders", func(t *testing.T) { testTLSUndecodable(t, pki, tlsPort, base) })
	closeAll := []fault{
		{at: 2000, name: "close_all_connections", do: node.CloseAllConnections},
		{at: 5000, name: "close_all_connections", do: node.CloseAllConnections},
		{at: 8000, name: "close_all_connections", do: node.CloseAllConnections},
	}
	t.Run("CloseAllConnections", func(t *testing.T) { streamWithFaults(t, node, base, closeAll) })
	// The same with PublishAsync: confirms lost with the connections are
	// retried by the confirmer, and every result resolves with nil.
	t.Run("CloseAllConnectionsAsync", func(t *testing.T) { streamWithFaults(t, node, base, closeAll, withAsync) })
	t.Run("StopStartApp", func(t *testing.T) {
		streamWithFaults(t, node, base, []fault{
			{at: 3000, name: "stop_app + start_app", do: func(ctx context.Context) error {
				if err := node.StopApp(ctx); err != nil {
					return err
				}
				time.Sleep(time.Second) // publishers wait meanwhile
				return node.StartApp(ctx)
			}},
		})
	})
	t.Run("HungNode", func(t *testing.T) { testHungNode(t, node, base) })
	t.Run("MemoryAlarm", func(t *testing.T) { testMemoryAlarm(t, node, base) })
	t.Run("NoPasswordInLogs", func(t *testing.T) { testNoPasswordInLogs(t, node) })
}

// A hung node (SIGSTOP: sockets open, no answers) does not hang the client:
// Subscribe and Publish fail when their contexts end, Close returns within
// the driver's timeouts, and once the node resumes the client recovers.
func testHungNode(t *testing.T, node *rabbitnode.Node, base string) {
	raw, _ := newNamespace(t, base, []string{"g"}, "topology_timeout", "1s", "heartbeat", "2s", "connect_timeout", "2s",
		"reconnect_min", "100ms", "reconnect_max", "500ms")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	d, err := distributer.Open(ctx, raw)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 10)
	h := distributer.HandlerFunc(func(_ context.Context, m *distributer.Message) error {
		got <- string(m.Body)
		return nil
	})
	if _, err := d.Subscribe(ctx, []string{"h.*"}, h, distributer.Group("g")); err != nil {
		t.Fatal(err)
	}
	if err := node.Pause(); err != nil {
		t.Fatal(err)
	}
	resumed := false
	defer func() {
		if !resumed {
			_ = node.Resume()
		}
	}()
	waitHung(t, node.Addr())

	sctx, scancel := context.WithTimeout(ctx, 4*time.Second)
	t0 := time.Now()
	_, err = d.Subscribe(sctx, []string{"h.*"}, h)
	scancel()
	if err == nil || time.Since(t0) > 7*time.Second {
		t.Errorf("Subscribe on a hung node = %v after %v, want an error within ~4s", err, time.Since(t0))
	}
	pctx, pcancel := context.WithTimeout(ctx, 3*time.Second)
	t0 = time.Now()
	err = d.Publish(pctx, "h.x", []byte(`{"n":1}`))
	pcancel()
	if !errors.Is(err, amqp.ErrNotConfirmed) || !errors.Is(err, context.DeadlineExceeded) || time.Since(t0) > 6*time.Second {
		t.Errorf("Publish on a hung node = %v after %v, want ErrNotConfirmed and DeadlineExceeded within ~3s", err, time.Since(t0))
	}

	if err := node.Resume(); err != nil {
		t.Fatal(err)
	}
	resumed = true
	if err := d.Publish(ctx, "h.x", []byte(`{"n":2}`)); err != nil {
		t.Fatalf("Publish after the node resumed: %v", err)
	}
	for {
		select {
		case b := <-got:
			if b != `{"n":2}` {
				continue // {"n":1} may have been stored before the pause was noticed
			}
		case <-ctx.Done():
			t.Fatal("no delivery after the node resumed")
		}
		break
	}

	// Close on a hung node returns within the driver's timeouts.
	if err := node.Pause(); err != nil {
		t.Fatal(err)
	}
	resumed = false
	t0 = time.Now()
	_ = d.Close()
	if el := time.Since(t0); el > 10*time.Second {
		t.Errorf("Close on a hung node took %v", el)
	}
	if err := node.Resume(); err != nil {
		t.Fatal(err)
	}
	resumed = true
}

type fault struct {
	at   int64 // inject once this many messages were confirmed
	name string
	do   func(context.Context) error
}

// withAsync makes streamWithFaults publish with PublishAsync: each
// publisher hands its results, in order, to a goroutine of its own that
// waits for them (a result counts as a publish's return).
const withAsync = true

func streamWithFaults(t *testing.T, node *rabbitnode.Node, base string, faults []fault, async ...bool) {
	ignore := goleak.IgnoreCurrent()
	isAsync := len(async) > 0 && async[0]
	const (
		total      = 10_000
		publishers = 4
		rate       = 2500 // messages per second, all publishers together
	)
	raw, _ := newNamespace(t, base, []string{"workers"}, "reconnect_min", "100ms", "reconnect_max", "1s", "prefetch", "100")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	dp, err := distributer.Open(ctx, raw)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := distributer.Open(ctx, raw)
	if err != nil {
		t.Fatal(err)
	}

	var (
		mu       sync.Mutex
		handled  = make(map[string]int, total)
		confirms = make(map[string]bool, total)
	)
	sub, err := ds.Subscribe(ctx, []string{"stream.*"}, distributer.HandlerFunc(func(_ context.Context, m *distributer.Message) error {
		mu.Lock()
		handled[m.ID]++
		mu.Unlock()
		return nil
	}), distributer.Group("workers"))
	if err != nil {
		t.Fatal(err)
	}

	var (
		confirmed atomic.Int64
		failed    atomic.Int64
		maxStall  atomic.Int64
		next      atomic.Int64
		wg        sync.WaitGroup
	)
	start := time.Now()
	// done records the outcome of message id, published at t0.
	done := func(id string, t0 time.Time, err error) {
		if stall := time.Since(t0); int64(stall) > maxStall.Load() {
			maxStall.Store(int64(stall))
		}
		if err != nil {
			failed.Add(1)
			t.Logf("publish %s: %v", id, err)
			return
		}
		mu.Lock()
		confirms[id] = true
		mu.Unlock()
		confirmed.Add(1)
	}
	type pending struct {
		id  string
		t0  time.Time
		res *distributer.PublishResult
	}
	for p := range publishers {
		results := make(chan pending, total)
		if isAsync {
			wg.Go(func() {
				for r := range results {
					_, err := r.res.Get(ctx)
					done(r.id, r.t0, err)
				}
			})
		}
		wg.Go(func() {
			defer close(results)
			for {
				i := next.Add(1) - 1
				if i >= total {
					return
				}
				// Pace the stream so that the faults hit it in the middle.
				if d := time.Until(start.Add(time.Duration(i) * time.Second / rate)); d > 0 {
					time.Sleep(d)
				}
				id := fmt.Sprintf("m-%d-%d", p, i)
				body := fmt.Appendf(nil, `{"i":%d}`, i)
				t0 := time.Now()
				if isAsync {
					results <- pending{id, t0, dp.PublishAsync(ctx, "stream.x", body, distributer.WithID(id))}
					continue
				}
				pctx, pcancel := context.WithTimeout(ctx, 60*time.Second)
				err := dp.Publish(pctx, "stream.x", body, distributer.WithID(id))
				pcancel()
				done(id, t0, err)
			}
		})
	}
	for _, f := range faults {
		for confirmed.Load() < f.at && ctx.Err() == nil {
			time.Sleep(5 * time.Millisecond)
		}
		t0 := time.Now()
		if err := f.do(ctx); err != nil {
			t.Fatalf("%s: %v", f.name, err)
		}
		t.Logf("%s at %d confirmed took %v", f.name, f.at, time.Since(t0).Round(time.Millisecond))
	}
	wg.Wait()
	published := time.Since(start)

	// Every confirmed message must be handled.
	deadline := time.Now().Add(60 * time.Second)
	var missing []string
	for {
		missing = missing[:0]
		mu.Lock()
		for id := range confirms {
			if handled[id] == 0 {
				missing = append(missing, id)
			}
		}
		mu.Unlock()
		if len(missing) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	mu.Lock()
	dups := 0
	for _, n := range handled {
		dups += n - 1
	}
	mu.Unlock()
	t.Logf("%d confirmed, %d publish errors, in %v; longest publish %v; %d duplicate deliveries (at-least-once)",
		confirmed.Load(), failed.Load(), published.Round(time.Millisecond), time.Duration(maxStall.Load()).Round(time.Millisecond), dups)
	if len(missing) > 0 {
		t.Errorf("%d confirmed messages never handled, e.g. %v", len(missing), missing[:min(5, len(missing))])
	}
	if confirmed.Load() != total {
		t.Errorf("%d of %d publishes confirmed: a publish failed although its context was alive", confirmed.Load(), total)
	}
	if err := sub.Err(); err != nil {
		t.Errorf("subscription ended: %v", err)
	}
	if err := ds.Close(); err != nil {
		t.Error(err)
	}
	if err := dp.Close(); err != nil {
		t.Error(err)
	}
	goleak.VerifyNone(t, ignore)
}

// waitHung waits until the node at addr no longer answers: a new
// connection's protocol header gets no reply within 500ms. On a loaded
// machine a stopped process can still answer for a moment; the assertions
// about a hung node start once it is hung.
func waitHung(t *testing.T, addr string) {
	t.Helper()
	for range 20 {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return // not even accepting: hung enough
		}
		_ = c.SetDeadline(time.Now().Add(500 * time.Millisecond))
		_, _ = c.Write([]byte("AMQP\x00\x00\x09\x01"))
		_, err = c.Read(make([]byte, 1))
		c.Close()
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			return
		}
	}
	t.Fatalf("the node at %s still answers after Pause", addr)
}
