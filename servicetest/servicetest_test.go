package servicetest_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/distributer/distributer"
	"github.com/distributer/distributer/servicetest"
	"github.com/distributer/distributer/typed"
)

type placed struct {
	ID  string `json:"id"`
	Qty int    `json:"qty"`
}

type shipped struct {
	ID    string `json:"id"`
	Boxes int    `json:"boxes"`
}

var schemas = typed.MustCompile(map[string]string{
	"placed.json":  `{"type": "object", "required": ["id", "qty"], "additionalProperties": false, "properties": {"id": {"type": "string", "minLength": 1}, "qty": {"type": "integer", "minimum": 1}}}`,
	"shipped.json": `{"type": "object", "required": ["id", "boxes"], "additionalProperties": false, "properties": {"id": {"type": "string"}, "boxes": {"type": "integer", "minimum": 1}}}`,
}, map[string]string{"order.placed": "placed.json", "order.shipped": "shipped.json"})

var (
	topicPlaced  = typed.NewTopic[placed](schemas, "order.placed")
	topicShipped = typed.NewTopic[shipped](schemas, "order.shipped")
)

// startShipper subscribes the service under test: one shipment per order,
// ten items a box; with double set it ships everything twice (a bug).
func startShipper(tb testing.TB, d *distributer.Distributer, double bool) {
	_, err := topicPlaced.Subscribe(context.Background(), d, typed.HandlerFunc[placed](func(ctx context.Context, o placed, _ *distributer.Message) error {
		s := shipped{ID: o.ID, Boxes: (o.Qty + 9) / 10}
		if err := topicShipped.Publish(ctx, d, s); err != nil {
			return err
		}
		if double {
			return topicShipped.Publish(ctx, d, s)
		}
		return nil
	}), distributer.Group("shipper"))
	if err != nil {
		tb.Fatalf("subscribe: %v", err)
	}
}

func TestServiceHappyPath(t *testing.T) {
	bus := servicetest.New(t, servicetest.Schemas(schemas))
	startShipper(t, bus.D, false)
	if err := topicPlaced.Publish(context.Background(), bus.D, placed{ID: "o-1", Qty: 25}); err != nil {
		t.Fatal(err)
	}
	got := servicetest.ExpectOne(bus, topicShipped, shipped{ID: "o-1", Boxes: 3})
	if got.Boxes != 3 {
		t.Fatalf("ExpectOne returned %+v", got)
	}
	if n := len(servicetest.Published(bus, topicPlaced)); n != 1 {
		t.Fatalf("Published(order.placed) = %d messages", n)
	}
	bus.ExpectNoInvalid()
	bus.ExpectNoDeadLetters()
	bus.ExpectNone("order.cancelled")
}

func TestInvalidInputIsDeadLettered(t *testing.T) {
	var dead []string
	out := failures(t, func(tb testing.TB) {
		bus := servicetest.New(tb) // no validator on D: the raw publish below goes out
		startShipper(tb, bus.D, false)
		if err := bus.D.Publish(context.Background(), "order.placed", []byte(`{"id": "o-2", "qty": 0}`)); err != nil {
			tb.Fatalf("publish: %v", err)
		}
		for _, dl := range bus.ExpectDeadLettered("order.*", 1) {
			dead = append(dead, dl.Group+" "+dl.Reason)
		}
		bus.ExpectNone("order.shipped")
		bus.ExpectNoInvalid() // fails: that is what this test looks at
	})
	if len(dead) != 1 || !strings.HasPrefix(dead[0], "shipper ") || !strings.Contains(dead[0], "/qty") {
		t.Fatalf("dead letters %q", dead)
	}
	want := "servicetest: invalid message dead-lettered on order.placed (group \"shipper\"): "
	if !strings.HasPrefix(out, want) || !strings.Contains(out, `body: {"id": "o-2", "qty": 0}`) || strings.Count(out, "servicetest:") != 1 {
		t.Fatalf("output:\n%s", out)
	}
}

func TestFailureOutput(t *testing.T) {
	out := failures(t, func(tb testing.TB) {
		bus := servicetest.New(tb, servicetest.Schemas(schemas))
		startShipper(tb, bus.D, true)
		_ = topicPlaced.Publish(context.Background(), bus.D, placed{ID: "o-3", Qty: 5})
		servicetest.ExpectOne(bus, topicShipped, shipped{ID: "o-3", Boxes: 2})
	})
	t.Log(out)
	for _, want := range []string{
		"want 1 message(s) on order.shipped, got 2",
		"published on the bus (3 message(s)):",
		`order.placed             {"id":"o-3","qty":5}`,
		`*  2 order.shipped`,
		"differs (-want +got)",
		"Boxes: 2",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// fakeTB records failures; Fatal ends the goroutine like testing does.
type fakeTB struct {
	testing.TB
	mu       sync.Mutex
	out      strings.Builder
	cleanups []func()
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Errorf(format string, a ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fmt.Fprintf(&f.out, format+"\n", a...)
}
func (f *fakeTB) Fatalf(format string, a ...any) { f.Errorf(format, a...); runtime.Goexit() }
func (f *fakeTB) Cleanup(fn func())              { f.cleanups = append(f.cleanups, fn) }

func failures(t *testing.T, f func(tb testing.TB)) string {
	fake := &fakeTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(fake)
	}()
	<-done
	for i := len(fake.cleanups) - 1; i >= 0; i-- {
		fake.cleanups[i]()
	}
	return fake.out.String()
}

func TestGo(t *testing.T) {
	ran := make(chan struct{})
	out := failures(t, func(tb testing.TB) {
		bus := servicetest.New(tb)
		bus.Go(func(ctx context.Context) error { close(ran); <-ctx.Done(); return ctx.Err() }) // a clean stop
		bus.Go(func(ctx context.Context) error { return errors.New("boom") })
	})
	<-ran
	if out != "servicetest: service returned: boom\n" {
		t.Fatalf("output %q", out)
	}
}
