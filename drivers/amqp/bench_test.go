package amqp_test

import (
	"context"
	"encoding/json"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/distributer/distributer"
	"github.com/distributer/distributer/drivers/amqp"
	"github.com/distributer/distributer/internal/cputime"
	"github.com/distributer/distributer/typed"
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
//   - async16: 16 goroutines; the driver's call PublishAsync, and check
//     every result at the end (Flush, Get).
//   - async1: 1 goroutine calling PublishAsync in a loop.
//   - typed-async16: async16 with a typed, schema-checked topic
//     (typed.Topic.PublishAsync: marshal, validate), beside untyped
//     async16 in the same rounds: ratio-to-untyped is typed/untyped.
//
// The baseline publishers never wait for a confirm before sending on (up to
// 1024 in flight each), with as many publishers as the driver's side; each
// side gets max(b.N, 30000) messages, in ten interleaved rounds (each
// starting with the other side than the round before). For
// pub16 a second baseline whose publishers wait for each confirm (what
// Publish promises) shows how much of the gap is the waiting itself.
//
//	go test -run '^$' -bench EndToEnd -benchtime 1x ./drivers/amqp
func BenchmarkEndToEnd(b *testing.B) {
	for _, c := range []struct {
		name       string
		publishers int
		mode       pubMode
	}{
		{"pub16", 16, modePublish},
		{"batch1", 1, modeBatch},
		{"async16", 16, modeAsync},
		{"async1", 1, modeAsync},
		{"typed-async16", 16, modeTypedAsync},
	} {
		b.Run(c.name, func(b *testing.B) {
			base := brokerURL(b)
			prefetch := benchPrefetch()
			// At least benchMessages per side, whatever b.N: one iteration
			// is one run, so `-bench .` with the default -benchtime gives
			// meaningful figures too.
			n := max(b.N, benchMessages)
			// Interleave in short rounds, and alternate which side goes
			// first, so that all sides see the same broker conditions: on
			// the shared machine the rate moves by 2-4x within seconds.
			var drvRate, baseRate, syncRate, untypedRate float64
			var drvCPU, baseCPU, untypedCPU time.Duration
			add := func(rate *float64, cpu *time.Duration) func(float64, time.Duration) {
				return func(r float64, c time.Duration) {
					*rate += r
					if cpu != nil {
						*cpu += c
					}
				}
			}
			rounds := 10
			if r, err := strconv.Atoi(os.Getenv("DISTRIBUTER_BENCH_ROUNDS")); err == nil && r > 0 {
				rounds = r
			}
			per := n/rounds + 1
			for round := range rounds {
				sides := []func(){
					func() { add(&baseRate, &baseCPU)(runBaseline(b, base, prefetch, c.publishers, 1024, per)) },
					func() { add(&drvRate, &drvCPU)(runDriver(b, base, prefetch, c.publishers, c.mode, per)) },
				}
				switch c.mode {
				case modePublish:
					sides = append(sides, func() { add(&syncRate, nil)(runBaseline(b, base, prefetch, c.publishers, 1, per)) })
				case modeTypedAsync:
					sides = append(sides, func() { add(&untypedRate, &untypedCPU)(runDriver(b, base, prefetch, c.publishers, modeAsync, per)) })
				}
				if round%2 == 1 {
					slices.Reverse(sides)
				}
				for _, side := range sides {
					side()
				}
			}
			b.ReportMetric(0, "ns/op")
			b.ReportMetric(drvRate/float64(rounds), "driver-msg/s")
			b.ReportMetric(baseRate/float64(rounds), "baseline-msg/s")
			b.ReportMetric(drvRate/baseRate, "ratio")
			// The process's CPU time per message (publisher and consumer,
			// both in this process), steadier than the rates on a shared
			// machine; 0 where it is not measured.
			msgs := float64(per * rounds)
			b.ReportMetric(float64(drvCPU.Microseconds())/msgs, "driver-cpu-µs/msg")
			b.ReportMetric(float64(baseCPU.Microseconds())/msgs, "baseline-cpu-µs/msg")
			switch c.mode {
			case modePublish:
				// The same-semantics baseline: each publisher waits for its
				// confirm, as Publish does.
				b.ReportMetric(syncRate/float64(rounds), "waiting-baseline-msg/s")
				b.ReportMetric(drvRate/syncRate, "ratio-to-waiting")
			case modeTypedAsync:
				b.ReportMetric(untypedRate/float64(rounds), "untyped-msg/s")
				b.ReportMetric(drvRate/untypedRate, "ratio-to-untyped")
				b.ReportMetric(float64(untypedCPU.Microseconds())/msgs, "untyped-cpu-µs/msg")
			}
		})
	}
}

// pubMode is how the driver's side publishes.
type pubMode int

const (
	modePublish    pubMode = iota // Publish, one message per call
	modeBatch                     // PublishBatch, 256 messages per call
	modeAsync                     // PublishAsync
	modeTypedAsync                // typed.Topic.PublishAsync
)

// benchPose is benchBody as a Go value, for the typed topic; benchTopic is
// its typed handle, with a schema that checks every field.
type benchPose struct {
	Metadata struct {
		UserID   int64  `json:"user_id"`
		Datetime int64  `json:"datetime"`
		Topic    string `json:"topic"`
	} `json:"metadata"`
	Data struct {
		Translation struct{ X, Y, Z float64 }    `json:"translation"`
		Rotation    struct{ X, Y, Z, W float64 } `json:"rotation"`
		Pad         string                       `json:"pad"`
	} `json:"data"`
}

var benchTopic = typed.NewTopic[benchPose](typed.MustCompile(map[string]string{"pose.json": `{
	"type": "object", "required": ["metadata", "data"], "additionalProperties": false,
	"properties": {
		"metadata": {"type": "object", "required": ["user_id", "datetime", "topic"], "additionalProperties": false,
			"properties": {"user_id": {"type": "integer", "minimum": 0}, "datetime": {"type": "integer"}, "topic": {"type": "string", "minLength": 1}}},
		"data": {"type": "object", "required": ["translation", "rotation"], "additionalProperties": false,
			"properties": {
				"translation": {"type": "object", "required": ["X", "Y", "Z"], "properties": {"X": {"type": "number"}, "Y": {"type": "number"}, "Z": {"type": "number"}}},
				"rotation": {"type": "object", "required": ["X", "Y", "Z", "W"], "properties": {"X": {"type": "number"}, "Y": {"type": "number"}, "Z": {"type": "number"}, "W": {"type": "number"}}},
				"pad": {"type": "string"}}}
	}}`}, map[string]string{"bench.pose": "pose.json"}), "bench.pose")

var benchValue = func() benchPose {
	var v benchPose
	if err := json.Unmarshal(benchBody, &v); err != nil {
		panic(err)
	}
	return v
}()

// runDriver streams n messages through a group subscription and returns
// messages per second, publish start to last ack, and the process's CPU
// time meanwhile.
func runDriver(b *testing.B, base string, prefetch, publishers int, mode pubMode, n int) (float64, time.Duration) {
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
	// The baseline opens its publisher channel before it starts the clock:
	// so does the driver, which opens it on the first publish (to a topic
	// nobody consumes).
	if err := dp.Publish(ctx, "warmup", []byte(`{}`)); err != nil {
		b.Fatal(err)
	}
	start, cpu0 := time.Now(), cputime.Process()
	var wg sync.WaitGroup
	var next atomic.Int64
	for range publishers {
		wg.Go(func() {
			switch mode {
			case modePublish:
				for next.Add(1) <= int64(n) {
					if err := dp.Publish(ctx, "bench.pose", benchBody); err != nil {
						b.Error(err)
						return
					}
				}
			case modeAsync, modeTypedAsync:
				var results []*distributer.PublishResult
				for next.Add(1) <= int64(n) {
					if mode == modeAsync {
						results = append(results, dp.PublishAsync(ctx, "bench.pose", benchBody))
					} else {
						results = append(results, benchTopic.PublishAsync(ctx, dp, benchValue))
					}
				}
				for _, r := range results {
					if _, err := r.Get(ctx); err != nil {
						b.Error(err)
						return
					}
				}
			case modeBatch:
				msgs := make([]*distributer.Message, 0, 256)
				for {
					msgs = msgs[:0]
					for len(msgs) < cap(msgs) && next.Add(1) <= int64(n) {
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
			}
		})
	}
	wg.Wait()
	select {
	case <-done:
	case <-ctx.Done():
		b.Fatalf("driver: %d of %d delivered", got.Load(), n)
	}
	return float64(n) / time.Since(start).Seconds(), cputime.Process() - cpu0
}

// runBaseline is the same workload written directly with amqp091-go.
// Each publisher keeps up to window messages in flight (1: it waits for
// each confirm before sending the next, like Publish).
func runBaseline(b *testing.B, base string, prefetch, publishers, window, n int) (float64, time.Duration) {
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
	start, cpu0 := time.Now(), cputime.Process()
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
	return float64(n) / time.Since(start).Seconds(), cputime.Process() - cpu0
}
