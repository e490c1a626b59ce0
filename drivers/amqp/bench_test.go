package amqp_test

import (
	"context"

	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/distributer/distributer"
	"github.com/distributer/distributer/drivers/amqp"
)

// benchBody is a ~300-byte JSON message shaped like the cortex pipeline's.
var benchBody = func() []byte {
	b := `{"metadata":{"user_id":42,"datetime":1575446887339,"topic":"pose"},"data":{"translation":{"x":0.4873843491077423,"y":0.007090016733855009,"z":-1.1306129693984985},"rotation":{"x":-0.10888676356214629,"y":-0.26755994585035286,"z":-0.021332383376705904,"w":0.9568163289440381},"pad":"`
	b += strings.Repeat("x", 300-len(b)-3) + `"}}`
	return []byte(b)
}()

// benchPrefetch is the prefetch of both sides: the driver's default unless
// DISTRIBUTER_BENCH_PREFETCH says otherwise.
func benchPrefetch() int {
	if n, err := strconv.Atoi(os.Getenv("DISTRIBUTER_BENCH_PREFETCH")); err == nil && n > 0 {
		return n
	}
	return amqp.DefaultPrefetch
}

// benchMessages is the least number of messages per side and case.
const benchMessages = 30_000

// BenchmarkEndToEnd measures end-to-end throughput (publish with confirms,
// consume, ack) of ~300-byte persistent JSON messages through one durable
// group queue, for the driver and for a baseline written directly with
// amqp091-go (deferred confirms, manual acks, same prefetch), on the same
// broker in the same run. It reports both rates and driver/baseline.
//
//   - pub16: 16 goroutines; the driver's call Publish, one message each.
//   - batch1: 1 goroutine; the driver's calls PublishBatch (batches of 256).
//
// The baseline publishers never wait for a confirm before sending on (up to
// 1024 in flight each); each side gets max(b.N, 30000) messages, in three
// interleaved rounds. For pub16 a second
// baseline whose publishers wait for each confirm (what Publish promises)
// shows how much of the gap is the waiting itself.
//
//	go test -run '^$' -bench EndToEnd -benchtime 1x ./drivers/amqp
func BenchmarkEndToEnd(b *testing.B) {
	for _, c := range []struct {
		name       string
		publishers int
		batch      int
	}{
		{"pub16", 16, 1},
		{"batch1", 1, 256},
	} {
		b.Run(c.name, func(b *testing.B) {
			base := brokerURL(b)
			prefetch := benchPrefetch()
			// At least benchMessages per side, whatever b.N: one iteration
			// is one run, so `-bench .` with the default -benchtime gives
			// meaningful figures too.
			n := max(b.N, benchMessages)
			// Interleave so both sides see the same broker conditions.
			var drvRate, baseRate, syncRate float64
			const rounds = 3
			for range rounds {
				baseRate += runBaseline(b, base, prefetch, c.publishers, 1024, n/rounds+1)
				drvRate += runDriver(b, base, prefetch, c.publishers, c.batch, n/rounds+1)
				if c.batch == 1 {
					syncRate += runBaseline(b, base, prefetch, c.publishers, 1, n/rounds+1)
				}
			}
			b.ReportMetric(0, "ns/op")
			b.ReportMetric(drvRate/rounds, "driver-msg/s")
			b.ReportMetric(baseRate/rounds, "baseline-msg/s")
			b.ReportMetric(drvRate/baseRate, "ratio")
			if c.batch == 1 {
				// The same-semantics baseline: each publisher waits for its
				// confirm, as Publish does.
				b.ReportMetric(syncRate/rounds, "waiting-baseline-msg/s")
				b.ReportMetric(drvRate/syncRate, "ratio-to-waiting")
			}
		})
	}
}

// runDriver streams n messages through a group subscription and returns
// messages per second, publish start to last ack.
func runDriver(b *testing.B, base string, prefetch, publishers, batch, n int) float64 {
	raw, _ := newNamespace(b, base, []string{"bench"}, "prefetch", strconv.Itoa(prefetch))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	dp, err := distributer.Open(ctx, raw)
	if err != nil {
		b.Fatal(err)
	}
	defer dp.Close()
	ds, err := distributer.Open(ctx, raw)
	if err != nil {
		b.Fatal(err)
	}
	defer ds.Close()
	var got atomic.Int64
	done := make(chan struct{})
	if _, err := ds.Subscribe(ctx, []string{"bench.#"}, distributer.HandlerFunc(func(context.Context, *distributer.Message) error {
		if got.Add(1) == int64(n) {
			close(done)
		}
		return nil
	}), distributer.Group("bench")); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	var wg sync.WaitGroup
	var next atomic.Int64
	for range publishers {
		wg.Go(func() {
			if batch == 1 {
				for next.Add(1) <= int64(n) {
					if err := dp.Publish(ctx, "bench.pose", benchBody); err != nil {
						b.Error(err)
						return
					}
				}
				return
			}
			msgs := make([]*distributer.Message, 0, batch)
			for {
				msgs = msgs[:0]
				for len(msgs) < batch && next.Add(1) <= int64(n) {
					msgs = append(msgs, &distributer.Message{Topic: "bench.pose", Body: benchBody})
				}
				if len(msgs) == 0 {
					return
				}
				if err := dp.PublishBatch(ctx, msgs); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	select {
	case <-done:
	case <-ctx.Done():
		b.Fatalf("driver: %d of %d delivered", got.Load(), n)
	}
	return float64(n) / time.Since(start).Seconds()
}

// runBaseline is the same workload written directly with amqp091-go.
// Each publisher keeps up to window messages in flight (1: it waits for
// each confirm before sending the next, like Publish).
func runBaseline(b *testing.B, base string, prefetch, publishers, window, n int) float64 {
	_, ns := newNamespace(b, base, []string{"bench"})
	queue := ns.prefix + "bench"
	pc, err := amqp091.Dial(plainURL(base))
	if err != nil {
		b.Fatal(err)
	}
	defer pc.Close()
	cc, err := amqp091.Dial(plainURL(base))
	if err != nil {
		b.Fatal(err)
	}
	defer cc.Close()
	ch, err := cc.Channel()
	if err != nil {
		b.Fatal(err)
	}
	if err := ch.ExchangeDeclare(ns.exchange, "topic", true, false, false, false, nil); err != nil {
		b.Fatal(err)
	}
	if _, err := ch.QueueDeclare(queue, true, false, false, false, nil); err != nil {
		b.Fatal(err)
	}
	if err := ch.QueueBind(queue, "bench.#", ns.exchange, false, nil); err != nil {
		b.Fatal(err)
	}
	if err := ch.Qos(prefetch, 0, false); err != nil {
		b.Fatal(err)
	}
	deliveries, err := ch.Consume(queue, "", false, false, false, false, nil)
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < n; i++ {
			d, ok := <-deliveries
			if !ok {
				return
			}
			_ = d.Ack(false)
		}
	}()
	pch, err := pc.Channel()
	if err != nil {
		b.Fatal(err)
	}
	if err := pch.Confirm(false); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	var wg sync.WaitGroup
	var next atomic.Int64
	for range publishers {
		wg.Go(func() {
			var inflight []*amqp091.DeferredConfirmation
			for next.Add(1) <= int64(n) {
				dc, err := pch.PublishWithDeferredConfirm(ns.exchange, "bench.pose", false, false, amqp091.Publishing{
					ContentType: "application/json", DeliveryMode: amqp091.Persistent, MessageId: "id", Body: benchBody,
				})
				if err != nil {
					b.Error(err)
					return
				}
				inflight = append(inflight, dc)
				if len(inflight) == window {
					if !inflight[0].Wait() {
						b.Error("nack")
					}
					inflight = inflight[1:]
				}
			}
			for _, dc := range inflight {
				if !dc.Wait() {
					b.Error("nack")
				}
			}
		})
	}
	wg.Wait()
	select {
	case <-done:
	case <-time.After(5 * time.Minute):
		b.Fatal("baseline: not all delivered")
	}
	return float64(n) / time.Since(start).Seconds()
}
