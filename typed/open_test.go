package typed_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/distributer/distributer"
	"github.com/distributer/distributer/typed"
)

type conn struct{ *distributer.Distributer }

func newConn(d *distributer.Distributer) *conn { return &conn{d} }

// typed.Open is the Open of generated packages: validation by the set,
// then the caller's options, which may change it.
func TestOpen(t *testing.T) {
	ctx := context.Background()
	s := newSensors(t)
	c, err := typed.Open(ctx, newURL(), s.schemas, newConn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.Validator() != distributer.Validator(s.schemas) || !c.ValidatesReceive() {
		t.Errorf("validator %v, validates receive %v", c.Validator(), c.ValidatesReceive())
	}
	if err := c.Publish(ctx, "sensor.temp", []byte(`{"meta": {"part": "temp"}, "body": "warm"}`)); !errors.Is(err, distributer.ErrInvalidMessage) {
		t.Errorf("untyped publish of an invalid body: %v", err)
	}
	c2, err := typed.Open(ctx, newURL(), s.schemas, newConn, distributer.WithoutReceiveValidation())
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if c2.ValidatesReceive() {
		t.Error("WithoutReceiveValidation was not applied after the validator")
	}
	if c3, err := typed.Open(ctx, "nope://x", s.schemas, newConn); c3 != nil || !errors.Is(err, distributer.ErrUnknownScheme) {
		t.Errorf("Open of an unknown scheme = %v, %v", c3, err)
	}
}

// The version constant generated code checks.
const _ = typed.SupportPackageIsVersion1

func TestNoRoute(t *testing.T) {
	err := typed.NoRoute("server")
	if !errors.Is(err, typed.ErrNoRoute) || !strings.Contains(err.Error(), `entry "server"`) || !strings.Contains(err.Error(), "when") {
		t.Errorf("NoRoute = %v", err)
	}
}
