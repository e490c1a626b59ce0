package memory_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/distributer/distributer"
	"github.com/distributer/distributer/internal/cputime"
)

// benchBody is a ~300-byte JSON body, the size of a cortex pose message.
var benchBody = []byte(`{"metadata":{"user_id":42,"datetime":1575446887339,"topic":"raw.pose","source":"camera-01"},"data":{"translation":{"x":0.4873843491077423,"y":0.007090893795341253,"z":-1.1306129693984985},"rotation":{"x":-0.10888676356214629,"y":-0.26755994585035286,"z":-0.021271118915446748,"w":0.9571326384559261}}}`)

// counter is a handler that counts deliveries and signals when it reaches
// want.
type counter struct {
	n    atomic.Int64
	want atomic.Int64
	done chan struct{}
}

func newCounter() *counter { return &counter{done: make(chan struct{}, 1)} }

func (c *counter) Handle(_ context.Context, _ *distributer.Message) error {
	if c.n.Add(1) == c.want.Load() {
		c.done <- struct{}{}
	}
	return nil
}

// expect arms c for n more deliveries.
func (c *counter) expect(n int) { c.want.Store(c.n.Load() + int64(n)) }

func (c *counter) wait(b *testing.B) {
	select {
	case <-c.done:
	case <-time.After(time.Minute):
		b.Fatalf("delivered %d of %d", c.n.Load(), c.want.Load())
	}
}

func openBench(b *testing.B) *distributer.Distributer {
	d, err := distributer.Open(context.Background(), "memory://"+newBus())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = d.Close() })
	return d
}

// report adds the metrics for n messages: msgs/s (wall clock), and the
// process's CPU time per message since cpu0 (all goroutines, GC included),
// which a busy shared machine disturbs less.
func report(b *testing.B, n int, cpu0 time.Duration) {
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "msgs/s")
	if cpu := cputime.Process() - cpu0; cpu > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(n), "cpu-ns/msg")
	}
}

// benchPublish publishes b.N messages to topic, one Publish each, and waits
// until c has seen them all.
func benchPublish(b *testing.B, d *distributer.Distributer, topic string, c *counter) {
	ctx := context.Background()
	c.expect(b.N)
	b.ReportAllocs()
	b.SetBytes(int64(len(benchBody)))
	b.ResetTimer()
	cpu0 := cputime.Process()
	for range b.N {
		if err := d.Publish(ctx, topic, benchBody); err != nil {
			b.Fatal(err)
		}
	}
	c.wait(b)
	b.StopTimer()
	report(b, b.N, cpu0)
}

// One publisher, one subscriber: the publish→deliver path. allocs/op is per
// message, both sides included.
func BenchmarkPublishDeliver(b *testing.B) {
	d := openBench(b)
	c := newCounter()
	if _, err := d.Subscribe(context.Background(), []string{"raw.pose"}, c); err != nil {
		b.Fatal(err)
	}
	benchPublish(b, d, "raw.pose", c)
}

// The same with 10,000 subscriptions on distinct topics (one of which gets
// the messages): routing cost must not grow with the subscriptions.
func BenchmarkPublishDeliver10kSubscriptions(b *testing.B) {
	d := openBench(b)
	ctx := context.Background()
	idle := newCounter()
	for i := range 10_000 {
		if i == 5000 {
			continue
		}
		if _, err := d.Subscribe(ctx, []string{fmt.Sprintf("raw.pose.s%d", i)}, idle); err != nil {
			b.Fatal(err)
		}
	}
	c := newCounter()
	if _, err := d.Subscribe(ctx, []string{"raw.pose.s5000"}, c); err != nil {
		b.Fatal(err)
	}
	benchPublish(b, d, "raw.pose.s5000", c)
	if idle.n.Load() != 0 {
		b.Fatalf("other subscriptions got %d messages", idle.n.Load())
	}
}

// PublishBatch of 100 messages per call; figures are per message.
func BenchmarkPublishBatch(b *testing.B) {
	const size = 100
	d := openBench(b)
	c := newCounter()
	if _, err := d.Subscribe(context.Background(), []string{"raw.pose"}, c); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	batch := make([]*distributer.Message, size)
	msgs := make([]distributer.Message, size)
	c.expect(b.N)
	b.ReportAllocs()
	b.SetBytes(int64(len(benchBody)))
	b.ResetTimer()
	cpu0 := cputime.Process()
	for sent := 0; sent < b.N; {
		k := min(size, b.N-sent)
		for i := range k {
			msgs[i] = distributer.Message{Topic: "raw.pose", Body: benchBody}
			batch[i] = &msgs[i]
		}
		if err := d.PublishBatch(ctx, batch[:k]); err != nil {
			b.Fatal(err)
		}
		sent += k
	}
	c.wait(b)
	b.StopTimer()
	report(b, b.N, cpu0)
}

// BenchmarkAsyncVsPublish compares PublishAsync with Publish on memory://,
// from one goroutine, one subscription counting the deliveries: each side
// publishes max(b.N, 1000000) messages (PublishAsync checks every result),
// in ten interleaved rounds that alternate which side goes first, each
// round timed until its last delivery. It reports both rates, ratio =
// async/publish throughput (wall clock), and cpu-ratio = publish/async
// process CPU time, which the load of a shared machine disturbs less.
//
//	go test -run '^$' -bench AsyncVsPublish -benchtime 1x ./drivers/memory
func BenchmarkAsyncVsPublish(b *testing.B) {
	d := openBench(b)
	c := newCounter()
	if _, err := d.Subscribe(context.Background(), []string{"raw.pose"}, c); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	const rounds = 10
	per := max(b.N, 1_000_000)/rounds + 1
	run := func(async bool) (wall, cpu time.Duration) {
		c.expect(per)
		start, cpu0 := time.Now(), cputime.Process()
		for range per {
			if async {
				if _, err := d.PublishAsync(ctx, "raw.pose", benchBody).Get(ctx); err != nil {
					b.Fatal(err)
				}
			} else if err := d.Publish(ctx, "raw.pose", benchBody); err != nil {
				b.Fatal(err)
			}
		}
		if err := d.Flush(ctx); err != nil {
			b.Fatal(err)
		}
		c.wait(b)
		return time.Since(start), cputime.Process() - cpu0
	}
	var syncT, asyncT, syncCPU, asyncCPU time.Duration
	for round := range rounds {
		sides := []bool{false, true}
		if round%2 == 1 {
			sides = []bool{true, false}
		}
		for _, async := range sides {
			wall, cpu := run(async)
			if async {
				asyncT, asyncCPU = asyncT+wall, asyncCPU+cpu
			} else {
				syncT, syncCPU = syncT+wall, syncCPU+cpu
			}
		}
	}
	total := float64(per * rounds)
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(total/syncT.Seconds(), "publish-msg/s")
	b.ReportMetric(total/asyncT.Seconds(), "async-msg/s")
	b.ReportMetric(syncT.Seconds()/asyncT.Seconds(), "ratio")
	if syncCPU > 0 && asyncCPU > 0 {
		b.ReportMetric(syncCPU.Seconds()/asyncCPU.Seconds(), "cpu-ratio")
	}
}
