package cortextest

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/distributer/distributer"
	_ "github.com/distributer/distributer/drivers/amqp"
	"github.com/distributer/distributer/examples/cortex/cortex"
	"github.com/distributer/distributer/internal/cputime"
	"github.com/distributer/distributer/typed"
)

// codecBench is one topic's value and the typed and plain ways of encoding
// and decoding it.
type codecBench struct {
	topic    string
	value    any
	typedMar func() ([]byte, error)
	typedDec func([]byte) error
	plainDec func([]byte) error
	noValDec func([]byte) error
}

func newCodecBench[T any](t typed.Topic[T], v T) codecBench {
	return codecBench{
		topic:    t.Name(),
		value:    v,
		typedMar: func() ([]byte, error) { return t.Marshal(v) },
		typedDec: func(b []byte) error { _, err := t.Decode(b); return err },
		plainDec: func(b []byte) error { var x T; return json.Unmarshal(b, &x) },
		noValDec: func(b []byte) error { _, err := t.Unmarshal(b); return err },
	}
}

func codecBenches() []codecBench {
	return []codecBench{
		newCodecBench(cortex.Topics.User, cortex.UserEnvelope[cortex.User]{Metadata: cortex.UserMetadata{UserID: 42, Topic: "user"}, Data: user}),
		newCodecBench(cortex.Topics.RawPose, cortex.Envelope[cortex.Pose]{Metadata: metaOf("pose"), Data: pose}),
		newCodecBench(cortex.Topics.RawColorImage, cortex.Envelope[cortex.Image]{Metadata: metaOf("color_image"), Data: colorRaw}),
		newCodecBench(cortex.Topics.RawDepthImage, cortex.Envelope[cortex.Image]{Metadata: metaOf("depth_image"), Data: depthRaw}),
		newCodecBench(cortex.Topics.RawFeelings, cortex.Envelope[cortex.Feelings]{Metadata: metaOf("feelings"), Data: feelings}),
		newCodecBench(cortex.Topics.ParsedPose, cortex.Envelope[cortex.Pose]{Metadata: metaOf("pose"), Data: pose}),
		newCodecBench(cortex.Topics.ParsedColorImage, cortex.Envelope[cortex.ParsedImage]{Metadata: metaOf("color_image"), Data: colorJPEG}),
		newCodecBench(cortex.Topics.ParsedDepthImage, cortex.Envelope[cortex.ParsedImage]{Metadata: metaOf("depth_image"), Data: depthPNG}),
		newCodecBench(cortex.Topics.ParsedFeelings, cortex.Envelope[cortex.Feelings]{Metadata: metaOf("feelings"), Data: feelings}),
	}
}

// loop runs f b.N times and reports, beside ns/op (wall clock), cpu-ns/op:
// the process's CPU time per op, which a shared machine disturbs far less.
func loop(b *testing.B, f func() error) {
	b.ReportAllocs()
	c0 := cputime.Process()
	for b.Loop() {
		if err := f(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cputime.Process()-c0)/float64(b.N), "cpu-ns/op")
}

// BenchmarkPublishCodec: per topic, the typed publish path's CPU work
// (marshal + validate) beside plain encoding/json Marshal of the same value.
func BenchmarkPublishCodec(b *testing.B) {
	for _, c := range codecBenches() {
		b.Run(c.topic+"/json", func(b *testing.B) {
			loop(b, func() error { _, err := json.Marshal(c.value); return err })
		})
		b.Run(c.topic+"/typed", func(b *testing.B) {
			loop(b, func() error { _, err := c.typedMar(); return err })
		})
	}
}

// BenchmarkReceiveCodec: per topic, the typed receive path's CPU work
// (validate + decode) beside plain encoding/json Unmarshal, and typed
// decoding without validation (WithoutReceiveValidation).
func BenchmarkReceiveCodec(b *testing.B) {
	for _, c := range codecBenches() {
		body, err := c.typedMar()
		if err != nil {
			b.Fatal(err)
		}
		for _, v := range []struct {
			name string
			f    func([]byte) error
		}{{"json", c.plainDec}, {"typed", c.typedDec}, {"typed-novalidate", c.noValDec}} {
			b.Run(c.topic+"/"+v.name, func(b *testing.B) {
				loop(b, func() error { return v.f(body) })
			})
		}
	}
}

// BenchmarkValidate: the validation alone, per topic.
func BenchmarkValidate(b *testing.B) {
	for _, c := range codecBenches() {
		body, _ := c.typedMar()
		b.Run(c.topic, func(b *testing.B) {
			loop(b, func() error { return cortex.Schemas.Validate(c.topic, body) })
		})
	}
}

// BenchmarkEndToEnd measures typed against untyped throughput on memory://
// and on RabbitMQ: messages on raw.pose published from 4 goroutines and
// handled by one subscriber (group "bench"), timed until the last one is
// handled. The modes: "untyped" marshals with encoding/json and uses the
// runtime's Publish and Subscribe without validation; "typed" goes through
// cortex.Open (validation on publish and on receive) and the typed handle;
// "typed-norecv" also opens WithoutReceiveValidation. The machine is shared,
// so the modes run INTERLEAVED, in rounds of 500 messages each (a different
// mode first in each round), and each
// mode's rate is over all its rounds; "typed/untyped" is the ratio of the
// same run. Each mode's cpu-ns/msg is this process's CPU time per message
// (publisher, driver and subscriber; for RabbitMQ not the broker's).
func BenchmarkEndToEnd(b *testing.B) {
	for _, broker := range []string{"memory", "amqp"} {
		b.Run(broker, func(b *testing.B) {
			modes := []string{"untyped", "typed", "typed-norecv"}
			pipes := map[string]*pipe{}
			for _, mode := range modes {
				var u string
				if broker == "memory" {
					u = fmt.Sprintf("memory://bench-%d", nsCounter.Add(1))
				} else {
					u = benchAMQP(b)
				}
				pipes[mode] = newPipe(b, u, mode)
			}
			const round = 500
			elapsed := map[string]time.Duration{}
			cpu := map[string]time.Duration{}
			b.ReportAllocs()
			b.ResetTimer()
			for r, done := 0, 0; done < b.N; r, done = r+1, done+round {
				n := min(round, b.N-done)
				for k := range modes {
					mode := modes[(r+k)%len(modes)] // each mode goes first in turn
					c0 := cputime.Process()
					elapsed[mode] += pipes[mode].run(b, n)
					cpu[mode] += cputime.Process() - c0
				}
			}
			b.StopTimer()
			rate := func(mode string) float64 { return float64(b.N) / elapsed[mode].Seconds() }
			for _, mode := range modes {
				b.ReportMetric(rate(mode), mode+"-msgs/s")
				b.ReportMetric(float64(cpu[mode])/float64(b.N), mode+"-cpu-ns/msg")
			}
			b.ReportMetric(rate("typed")/rate("untyped"), "typed/untyped")
			b.ReportMetric(rate("typed-norecv")/rate("untyped"), "typed-norecv/untyped")
		})
	}
}

// pipe is one publisher-subscriber pair of BenchmarkEndToEnd.
type pipe struct {
	d       *distributer.Distributer
	mode    string
	handled atomic.Int64
	mu      sync.Mutex
	target  int64
	reached chan struct{}
}

func newPipe(b *testing.B, u, mode string) *pipe {
	ctx := context.Background()
	var opts []distributer.Option
	if mode == "typed-norecv" {
		opts = append(opts, distributer.WithoutReceiveValidation())
	}
	p := &pipe{mode: mode}
	if mode == "untyped" {
		d, err := distributer.Open(ctx, u, opts...)
		if err != nil {
			b.Fatal(err)
		}
		p.d = d
	} else {
		c, err := cortex.Open(ctx, u, opts...)
		if err != nil {
			b.Fatal(err)
		}
		p.d = c.Distributer
	}
	b.Cleanup(func() { p.d.Close() })
	var err error
	if mode == "untyped" {
		_, err = p.d.Subscribe(ctx, []string{cortex.TopicRawPose}, distributer.HandlerFunc(func(_ context.Context, m *distributer.Message) error {
			var x cortex.Envelope[cortex.Pose]
			if err := json.Unmarshal(m.Body, &x); err != nil {
				return err
			}
			p.count()
			return nil
		}), distributer.Group("bench"))
	} else {
		_, err = cortex.Topics.RawPose.Subscribe(ctx, p.d, cortex.RawPoseHandlerFunc(func(context.Context, cortex.Envelope[cortex.Pose], *distributer.Message) error {
			p.count()
			return nil
		}), distributer.Group("bench"))
	}
	if err != nil {
		b.Fatal(err)
	}
	return p
}

func (p *pipe) count() {
	n := p.handled.Add(1)
	p.mu.Lock()
	if n == p.target && p.reached != nil {
		close(p.reached)
		p.reached = nil
	}
	p.mu.Unlock()
}

// run publishes n messages from 4 goroutines and returns the time until the
// subscriber has handled them all.
func (p *pipe) run(b *testing.B, n int) time.Duration {
	ctx := context.Background()
	v := cortex.Envelope[cortex.Pose]{Metadata: metaOf("pose"), Data: pose}
	reached := make(chan struct{})
	p.mu.Lock()
	p.target = p.handled.Load() + int64(n)
	p.reached = reached
	p.mu.Unlock()
	start := time.Now()
	const publishers = 4
	var wg sync.WaitGroup
	var next atomic.Int64
	for range publishers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(n) {
				var err error
				if p.mode == "untyped" {
					body, _ := json.Marshal(v)
					err = p.d.Publish(ctx, cortex.TopicRawPose, body)
				} else {
					err = cortex.Topics.RawPose.Publish(ctx, p.d, v)
				}
				if err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	select {
	case <-reached:
	case <-time.After(time.Minute):
		b.Fatalf("%s: handled %d, want %d", p.mode, p.handled.Load(), p.target)
	}
	return time.Since(start)
}

// benchAMQP returns a fresh namespace on the test broker, removed after the
// benchmark.
func benchAMQP(b *testing.B) string {
	raw := os.Getenv("DISTRIBUTER_TEST_AMQP_URL")
	if raw == "" {
		raw = "amqp://guest:guest@127.0.0.1:5672/"
	}
	u, err := url.Parse(raw)
	if err != nil {
		b.Fatal(err)
	}
	if c, err := net.DialTimeout("tcp", u.Host, 2*time.Second); err != nil {
		if os.Getenv("CI") == "true" {
			b.Fatalf("RabbitMQ at %s: %v", u.Host, err)
		}
		b.Skipf("no RabbitMQ at %s: %v", u.Host, err)
	} else {
		c.Close()
	}
	name := fmt.Sprintf("cortextest-bench-%d-%d", os.Getpid(), nsCounter.Add(1))
	b.Cleanup(func() {
		conn, err := amqp091.Dial(raw)
		if err != nil {
			return
		}
		defer conn.Close()
		ch, err := conn.Channel()
		if err != nil {
			return
		}
		_, _ = ch.QueueDelete(name+".bench", false, false, false)
		_, _ = ch.QueueDelete(name+".dlx."+name+".bench", false, false, false)
		_ = ch.ExchangeDelete(name, false, false)
		_ = ch.ExchangeDelete(name+".dlx", false, false)
		_ = ch.ExchangeDelete(name+".retry", false, false)
	})
	q := u.Query()
	q.Set("exchange", name)
	q.Set("queue_prefix", name+".")
	q.Set("durable", "false")
	u.RawQuery = q.Encode()
	return u.String()
}

// BenchmarkValidateInvalid: an invalid message takes the slow path
// (decode with exact numbers, jsonschema/v5, the error with its causes).
func BenchmarkValidateInvalid(b *testing.B) {
	body := []byte(`{"metadata": {"user_id": 42, "datetime": 1575446887339, "topic": "feelings"}, "data": {"hunger": 2, "thirst": 0.25, "exhaustion": 1, "happiness": -1}}`)
	loop(b, func() error {
		if cortex.Schemas.Validate(cortex.TopicRawFeelings, body) == nil {
			return fmt.Errorf("invalid body passed")
		}
		return nil
	})
}
