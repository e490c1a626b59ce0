package typed_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/distributer/distributer"
	"github.com/distributer/distributer/typed"
)

func TestRouter(t *testing.T) {
	ctx := context.Background()
	s := shopSchemas(t)
	orders := typed.NewTopic[Order](s, "orders.created")
	pings := typed.NewTopic[Ping](s, "orders.ping")
	url := newURL()
	dead := watchDeadLetters(t, url)
	inv := newInvalidLog()
	d := open(t, url, distributer.OnInvalid(inv.record))

	got := make(chan string, 10)
	r := typed.NewRouter()
	typed.Route(r, orders, typed.HandlerFunc[Order](func(_ context.Context, o Order, _ *distributer.Message) error {
		got <- fmt.Sprint("order ", o.ID)
		return nil
	}))
	typed.Route(r, pings, typed.HandlerFunc[Ping](func(_ context.Context, p Ping, _ *distributer.Message) error {
		got <- fmt.Sprint("ping ", p.Seq)
		return nil
	}))
	if ts := r.Topics(); strings.Join(ts, ",") != "orders.created,orders.ping" {
		t.Fatalf("Topics() = %v", ts)
	}
	sub, err := r.Subscribe(ctx, d, distributer.Group("router"))
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	if g := sub.Patterns(); strings.Join(g, ",") != "orders.created,orders.ping" || sub.Group() != "router" {
		t.Errorf("subscription %v %q", g, sub.Group())
	}

	if err := pings.Publish(ctx, d, Ping{Seq: 3}); err != nil {
		t.Fatal(err)
	}
	if g := recv(t, got); g != "ping 3" {
		t.Fatalf("got %q", g)
	}
	_ = d.Publish(ctx, "orders.ping", []byte(`{"seq": "x"}`))
	inv.wait(t, 1)
	recvDeadLetters(t, dead, 1)
	if err := orders.Publish(ctx, d, order(8)); err != nil {
		t.Fatal(err)
	}
	if g := recv(t, got); g != "order 8" {
		t.Fatalf("got %q", g)
	}
}

func TestRouterMisuse(t *testing.T) {
	s := shopSchemas(t)
	orders := typed.NewTopic[Order](s, "orders.created")
	h := typed.HandlerFunc[Order](func(context.Context, Order, *distributer.Message) error { return nil })

	d := open(t, newURL())
	if _, err := typed.NewRouter().Subscribe(context.Background(), d); !errors.Is(err, distributer.ErrInvalidTopic) {
		t.Errorf("Subscribe with no routes = %v", err)
	}
	panics := func(name string, f func()) {
		t.Helper()
		defer func() {
			if recover() == nil {
				t.Errorf("%s did not panic", name)
			}
		}()
		f()
	}
	panics("Route twice", func() {
		r := typed.NewRouter()
		typed.Route(r, orders, h)
		typed.Route(r, orders, h)
	})
	panics("Route from two schema sets", func() {
		r := typed.NewRouter()
		typed.Route(r, orders, h)
		typed.Route(r, typed.NewTopic[Order](shopSchemas(t), "orders.created"), h)
	})
}
