package distributer_test

import (
	"context"
	"net/url"
	"testing"

	"github.com/distributer/distributer"
	"github.com/distributer/distributer/driver"
	"github.com/distributer/distributer/topic"
)

// benchBody is a ~300-byte JSON body, the size of a cortex pose message.
var benchBody = []byte(`{"metadata":{"user_id":42,"datetime":1575446887339,"topic":"raw.pose","source":"camera-01"},"data":{"translation":{"x":0.4873843491077423,"y":0.007090893795341253,"z":-1.1306129693984985},"rotation":{"x":-0.10888676356214629,"y":-0.26755994585035286,"z":-0.021271118915446748,"w":0.9571326384559261}}}`)

// discardDriver accepts every message and does nothing: benchmarks of the
// runtime's own cost.
type discardDriver struct{}

type discardConn struct{}

func init() { driver.Register("discard", discardDriver{}) }

func (discardDriver) Open(context.Context, *url.URL) (driver.Conn, error) { return discardConn{}, nil }
func (discardConn) Publish(context.Context, []*driver.Message) error      { return nil }

// Send makes the discard driver a driver.Sender, whose messages are
// confirmed at once: PublishAsync's own cost, confirmer included.
func (discardConn) Send(context.Context, []*driver.Message) driver.Pending { return confirmed{} }

type confirmed struct{}

func (confirmed) Wait(context.Context) error { return nil }
func (discardConn) Close() error             { return nil }
func (discardConn) Subscribe(context.Context, driver.SubscribeRequest, driver.Handler) (driver.Subscription, error) {
	return nil, driver.ErrClosed
}

// The runtime's share of a Publish (topic and JSON checks, id, message) on
// a driver that does nothing, the same for PublishAsync (with flow control
// and the confirmer goroutine), and two of its parts (BenchmarkValidJSON
// measures the JSON check).
func BenchmarkPublishRuntime(b *testing.B) {
	ctx := context.Background()
	d, err := distributer.Open(ctx, "discard://")
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	b.Run("Publish", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(benchBody)))
		for b.Loop() {
			if err := d.Publish(ctx, "raw.pose", benchBody); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("PublishAsync", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(benchBody)))
		for b.Loop() {
			_ = d.PublishAsync(ctx, "raw.pose", benchBody)
		}
		if err := d.Flush(ctx); err != nil {
			b.Fatal(err)
		}
	})
	b.Run("ValidateTopic", func(b *testing.B) {
		for b.Loop() {
			if err := topic.ValidateTopic("raw.pose"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("NewID", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = distributer.NewID()
		}
	})
}
