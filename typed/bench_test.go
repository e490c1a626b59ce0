package typed_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/distributer/distributer"
	"github.com/distributer/distributer/typed"
)

// The typed path's cost per message, beside plain encoding/json of the same
// value. The cortex topics' figures are in examples/cortex/cortextest.

func BenchmarkOrderMarshal(b *testing.B) {
	o := order(7)
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(o); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("typed-validated", func(b *testing.B) {
		t := typed.NewTopic[Order](shopSchemas(b), "orders.created")
		b.ReportAllocs()
		for b.Loop() {
			if _, err := t.Marshal(o); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkOrderDecode(b *testing.B) {
	body, _ := json.Marshal(order(7))
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var o Order
			if err := json.Unmarshal(body, &o); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("typed-validated", func(b *testing.B) {
		t := typed.NewTopic[Order](shopSchemas(b), "orders.created")
		b.ReportAllocs()
		for b.Loop() {
			if _, err := t.Decode(body); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkOrderValidate(b *testing.B) {
	s := shopSchemas(b)
	body, _ := json.Marshal(order(7))
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Validate("orders.created", body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTypedPublishMemory publishes on memory:// with no subscriber:
// the whole publish path, typed against untyped.
func BenchmarkTypedPublishMemory(b *testing.B) {
	ctx := context.Background()
	s := shopSchemas(b)
	t := typed.NewTopic[Order](s, "orders.created")
	o := order(7)
	d, err := distributer.Open(ctx, newURL())
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	b.Run("untyped", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			body, _ := json.Marshal(o)
			if err := d.Publish(ctx, t.Name(), body); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("typed", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := t.Publish(ctx, d, o); err != nil {
				b.Fatal(err)
			}
		}
	})
	// The handle of a generated Conn: a fill (here of one member, to the
	// value it has, so that the body is the same), then the typed publish.
	bound := t.Bind(d, func(o Order) Order { o.Note = ""; return o })
	b.Run("bound", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := bound.Publish(ctx, o); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkFamilyDecode: the receive side of a family subscription (decode
// into the part struct by topic) beside the topic's own Unmarshal.
func BenchmarkFamilyDecode(b *testing.B) {
	s := newSensors(b)
	body, err := s.door.Marshal(Env[Door]{Meta: Meta{Part: "door", At: 7}, Body: Door{Open: true}})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("topic", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.door.Unmarshal(body); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("family", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var p SensorPart
			if err := typed.FamilyDecode(s.family, "sensor.door", body, &p); err != nil || p.Door == nil {
				b.Fatal(err)
			}
		}
	})
}
