package typed_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/distributer/distributer"
	"github.com/distributer/distributer/typed"
)

// The sensor set: a family sensor.{part} of two parts in an envelope whose
// meta.part must be the part name, as distgen would declare it, and a topic
// outside the family.
var sensorFiles = map[string]string{
	"envelope.json": `{"type": "object", "required": ["meta", "body"], "additionalProperties": false,
		"properties": {"meta": {"type": "object", "required": ["part"], "additionalProperties": false,
			"properties": {"part": {"type": "string"}, "at": {"type": "integer"}}}, "body": true}}`,
	"temp.json": `{"allOf": [{"$ref": "envelope.json"}], "properties": {"meta": {"properties": {"part": {"const": "temp"}}}, "body": {"type": "number"}}}`,
	"door.json": `{"allOf": [{"$ref": "envelope.json"}], "properties": {"meta": {"properties": {"part": {"const": "door"}}},
		"body": {"type": "object", "required": ["open"], "properties": {"open": {"type": "boolean"}}}}}`,
	"other.json": `{"type": "object"}`,
}

var sensorTopics = map[string]string{"sensor.temp": "temp.json", "sensor.door": "door.json", "other.x": "other.json"}

type (
	Meta struct {
		Part string `json:"part"`
		At   int64  `json:"at,omitempty"`
	}
	Env[T any] struct {
		Meta Meta `json:"meta"`
		Body T    `json:"body"`
	}
	Door struct {
		Open bool `json:"open"`
	}
	// SensorPart is the part struct of the family.
	SensorPart struct {
		Temp *Env[float64]
		Door *Env[Door]
	}
	// Reading is the composite of the fan-out: one member per part.
	Reading struct {
		At   int64
		Temp *float64
		Door *Door
	}
)

// sensorFill is a family's fill factory, as distgen generates it: the set
// rule {"/meta/part": {"part": true}}.
func sensorFill[T any](part string) func(Env[T]) Env[T] {
	return func(v Env[T]) Env[T] {
		v.Meta.Part = part
		return v
	}
}

type sensors struct {
	schemas *typed.Schemas
	temp    typed.Topic[Env[float64]]
	door    typed.Topic[Env[Door]]
	family  *typed.Family[SensorPart]
}

func newSensors(t testing.TB) sensors {
	t.Helper()
	s, err := typed.Compile(sensorFiles, sensorTopics)
	if err != nil {
		t.Fatal(err)
	}
	temp := typed.NewTopic[Env[float64]](s, "sensor.temp")
	door := typed.NewTopic[Env[Door]](s, "sensor.door")
	return sensors{s, temp, door, typed.NewFamily("sensor.{part}",
		typed.NewPart(temp, "temp", func(p *SensorPart) **Env[float64] { return &p.Temp }, sensorFill[float64]("temp")),
		typed.NewPart(door, "door", func(p *SensorPart) **Env[Door] { return &p.Door }, sensorFill[Door]("door")),
	)}
}

func TestFamilyParts(t *testing.T) {
	f := newSensors(t).family
	if f.Pattern() != "sensor.{part}" || !slices.Equal(f.Parts(), []string{"temp", "door"}) {
		t.Errorf("Pattern %q, Parts %v", f.Pattern(), f.Parts())
	}
	for _, c := range []struct {
		p    SensorPart
		want string
	}{
		{SensorPart{}, ""},
		{SensorPart{Door: &Env[Door]{}}, "door"},
		{SensorPart{Temp: &Env[float64]{}, Door: &Env[Door]{}}, "temp"}, // the first in the declared order
	} {
		if got := f.Part(c.p); got != c.want {
			t.Errorf("Part(%+v) = %q, want %q", c.p, got, c.want)
		}
	}
}

func TestNewFamilyMisuse(t *testing.T) {
	s := newSensors(t)
	other := newSensors(t) // another schema set
	field := func(p *SensorPart) **Env[float64] { return &p.Temp }
	doorField := func(p *SensorPart) **Env[Door] { return &p.Door }
	for _, c := range []struct {
		name, want string
		f          func()
	}{
		{"no {part}", "does not hold {part} once", func() { typed.NewFamily("sensor.x", typed.NewPart(s.temp, "temp", field, nil)) }},
		{"{part} twice", "does not hold {part} once", func() { typed.NewFamily("{part}.{part}", typed.NewPart(s.temp, "temp", field, nil)) }},
		{"no parts", "has no parts", func() { typed.NewFamily[SensorPart]("sensor.{part}") }},
		{"topic outside the pattern", `has topic "sensor.temp", want "sensor.warm"`, func() { typed.NewFamily("sensor.{part}", typed.NewPart(s.temp, "warm", field, nil)) }},
		{"part twice", "declared twice", func() {
			typed.NewFamily("sensor.{part}", typed.NewPart(s.temp, "temp", field, nil), typed.NewPart(s.temp, "temp", field, nil))
		}},
		{"two schema sets", "another schema set", func() {
			typed.NewFamily("sensor.{part}", typed.NewPart(s.temp, "temp", field, nil), typed.NewPart(other.door, "door", doorField, nil))
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if r == nil || !strings.Contains(fmt.Sprint(r), c.want) {
					t.Errorf("panic %v, want one with %q", r, c.want)
				}
			}()
			c.f()
		})
	}
}

// Family.Publish fills in the part name, validates and publishes the part
// that is set; Family.Subscribe decodes each delivery into the field of its
// part, by topic.
func TestFamilyPublishSubscribe(t *testing.T) {
	ctx := context.Background()
	s := newSensors(t)
	url := newURL()
	dead := watchDeadLetters(t, url)
	d := open(t, url)

	got := make(chan SensorPart, 10)
	sub, err := s.family.Subscribe(ctx, d, "*", typed.HandlerFunc[SensorPart](func(_ context.Context, p SensorPart, m *distributer.Message) error {
		if m.Topic != "sensor."+s.family.Part(p) {
			t.Errorf("part %q delivered on %s", s.family.Part(p), m.Topic)
		}
		got <- p
		return nil
	}), distributer.Group("g"))
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	if g := sub.Patterns(); !slices.Equal(g, []string{"sensor.*"}) {
		t.Errorf("patterns %v", g)
	}

	// The part name is filled in: meta.part "" would not validate.
	if err := s.family.Publish(ctx, d, SensorPart{Door: &Env[Door]{Body: Door{Open: true}}}); err != nil {
		t.Fatal(err)
	}
	if p := recv(t, got); p.Door == nil || p.Temp != nil || *p.Door != (Env[Door]{Meta: Meta{Part: "door"}, Body: Door{Open: true}}) {
		t.Errorf("got %+v", p)
	}
	if err := s.family.Publish(ctx, d, SensorPart{Temp: &Env[float64]{Meta: Meta{Part: "wrong", At: 5}, Body: 21.5}}); err != nil {
		t.Fatal(err)
	}
	if p := recv(t, got); p.Temp == nil || *p.Temp != (Env[float64]{Meta: Meta{Part: "temp", At: 5}, Body: 21.5}) {
		t.Errorf("got %+v", p)
	}

	// Nothing set: an error wrapping ErrNoPart, nothing sent.
	if err := s.family.Publish(ctx, d, SensorPart{}); !errors.Is(err, typed.ErrNoPart) || !strings.Contains(err.Error(), "sensor.{part}") {
		t.Errorf("Publish of no part: %v", err)
	}
	// An invalid delivery never reaches the handler: it is dead-lettered,
	// and the subscription goes on.
	if err := d.Publish(ctx, "sensor.door", []byte(`{"meta": {"part": "door"}, "body": {"open": "yes"}}`)); err != nil {
		t.Fatal(err)
	}
	dl := recvDeadLetters(t, dead, 1)[0]
	if dl.Topic != "sensor.door" || !strings.Contains(dl.Reason, "/body/open") {
		t.Errorf("dead letter %s: %s", dl.Topic, dl.Reason)
	}
	if err := s.family.Publish(ctx, d, SensorPart{Door: &Env[Door]{Meta: Meta{At: 1}}}); err != nil {
		t.Fatal(err)
	}
	if p := recv(t, got); p.Door == nil || p.Door.Meta.At != 1 {
		t.Errorf("got %+v", p)
	}
}

func TestFamilyPublishInvalid(t *testing.T) {
	ctx := context.Background()
	s := newSensors(t)
	d := open(t, newURL())
	topics := make(chan string, 10)
	sub, err := d.Subscribe(ctx, []string{"#"}, distributer.HandlerFunc(func(_ context.Context, m *distributer.Message) error {
		topics <- m.Topic
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	// A fill that breaks the value: the family validates what it sends
	// (here d has no validator of its own).
	broken := typed.NewFamily("sensor.{part}", typed.NewPart(s.temp, "temp", func(p *SensorPart) **Env[float64] { return &p.Temp }, func(v Env[float64]) Env[float64] {
		v.Meta.Part = "nope"
		return v
	}))
	err = broken.Publish(ctx, d, SensorPart{Temp: &Env[float64]{}})
	var ve *typed.ValidationError
	if !errors.As(err, &ve) || ve.Topic != "sensor.temp" {
		t.Fatalf("Publish of an invalid part: %v", err)
	}
	// Nothing was sent: the next message is the first one delivered.
	if err := d.Publish(ctx, "other.x", []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	if topic := recv(t, topics); topic != "other.x" {
		t.Errorf("delivered %s", topic)
	}
}

// A subscription to one part binds only that part's topic.
func TestFamilySubscribeOnePart(t *testing.T) {
	ctx := context.Background()
	s := newSensors(t)
	d := open(t, newURL())
	got := make(chan string, 10)
	sub, err := s.family.Subscribe(ctx, d, "temp", typed.HandlerFunc[SensorPart](func(_ context.Context, p SensorPart, _ *distributer.Message) error {
		got <- s.family.Part(p)
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	if g := sub.Patterns(); !slices.Equal(g, []string{"sensor.temp"}) {
		t.Errorf("patterns %v", g)
	}
	if err := s.family.Publish(ctx, d, SensorPart{Door: &Env[Door]{}}); err != nil {
		t.Fatal(err)
	}
	if err := s.family.Publish(ctx, d, SensorPart{Temp: &Env[float64]{}}); err != nil {
		t.Fatal(err)
	}
	if p := recv(t, got); p != "temp" {
		t.Errorf("got part %q", p)
	}
	if _, err := s.family.Subscribe(ctx, d, "*", nil); err == nil || !strings.Contains(err.Error(), "nil handler") {
		t.Errorf("Subscribe with a nil handler: %v", err)
	}
}

// A delivery on a topic outside the family (only possible when other
// subscriptions share the group) is dead-lettered with a MisroutedError,
// never handed to the handler as a part.
func TestFamilyMisrouted(t *testing.T) {
	ctx := context.Background()
	s := newSensors(t)
	url := newURL()
	dead := watchDeadLetters(t, url)
	d := open(t, url, distributer.WithValidator(s.schemas))
	// Another process binds other.x to the queue of group "g", then leaves:
	// the group's queue and its bindings stay.
	other, err := open(t, url).Subscribe(ctx, []string{"other.x"}, distributer.HandlerFunc(func(context.Context, *distributer.Message) error { return nil }), distributer.Group("g"))
	if err != nil {
		t.Fatal(err)
	}
	other.Close()
	var calls atomic.Int64
	sub, err := s.family.Subscribe(ctx, d, "*", typed.HandlerFunc[SensorPart](func(context.Context, SensorPart, *distributer.Message) error {
		calls.Add(1)
		return nil
	}), distributer.Group("g"))
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	if err := d.Publish(ctx, "other.x", []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	dl := recvDeadLetters(t, dead, 1)[0]
	if dl.Topic != "other.x" || !strings.Contains(dl.Reason, `reached the subscription to "sensor.{part}"`) {
		t.Errorf("dead letter %s: %s", dl.Topic, dl.Reason)
	}
	if calls.Load() != 0 {
		t.Error("the handler saw a message of another topic")
	}
}

// BoundTopic and BoundFamily: the handles of a generated Conn.
func TestBound(t *testing.T) {
	ctx := context.Background()
	s := newSensors(t)
	d := open(t, newURL(), distributer.WithValidator(s.schemas))
	temp := s.temp.Bind(d, sensorFill[float64]("temp"))
	if temp.Topic().Name() != "sensor.temp" {
		t.Errorf("Topic() = %q", temp.Topic().Name())
	}
	got := make(chan Env[float64], 10)
	sub, err := temp.Subscribe(ctx, typed.HandlerFunc[Env[float64]](func(_ context.Context, v Env[float64], _ *distributer.Message) error {
		got <- v
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	if err := temp.Publish(ctx, Env[float64]{Body: 3}); err != nil {
		t.Fatal(err)
	}
	if v := recv(t, got); v != (Env[float64]{Meta: Meta{Part: "temp"}, Body: 3}) {
		t.Errorf("got %+v", v)
	}
	// PublishAsync fills and validates before it returns, and resolves once
	// the message is taken.
	if id, err := temp.PublishAsync(ctx, Env[float64]{Body: 5}, distributer.WithID("a1")).Get(ctx); err != nil || id != "a1" {
		t.Errorf("PublishAsync = %q, %v", id, err)
	}
	if v := recv(t, got); v != (Env[float64]{Meta: Meta{Part: "temp"}, Body: 5}) {
		t.Errorf("got %+v after PublishAsync", v)
	}
	if _, err := s.temp.Bind(d, nil).PublishAsync(ctx, Env[float64]{Body: 3}).Get(ctx); err == nil {
		t.Error("PublishAsync published a value without its part name")
	}
	if _, err := (typed.BoundTopic[Env[float64]]{}).PublishAsync(ctx, Env[float64]{}).Get(ctx); !errors.Is(err, typed.ErrUnbound) {
		t.Errorf("PublishAsync on an unbound handle = %v, want ErrUnbound", err)
	}
	m, err := temp.Message(Env[float64]{Body: 4}, distributer.WithID("m1"))
	if err != nil || m.Topic != "sensor.temp" || m.ID != "m1" || string(m.Body) != `{"meta":{"part":"temp"},"body":4}` {
		t.Errorf("Message = %+v, %v", m, err)
	}
	// Without a fill, the unbound handle's behaviour: the value as it is.
	if err := s.temp.Bind(d, nil).Publish(ctx, Env[float64]{Body: 3}); err == nil {
		t.Error("a value without its part name was published")
	}

	fam := s.family.Bind(d)
	if fam.Family() != s.family {
		t.Error("Family() is not the family bound")
	}
	parts := make(chan string, 10)
	fsub, err := fam.Subscribe(ctx, "door", typed.HandlerFunc[SensorPart](func(_ context.Context, p SensorPart, _ *distributer.Message) error {
		parts <- s.family.Part(p)
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer fsub.Close()
	if err := fam.Publish(ctx, SensorPart{Door: &Env[Door]{}}); err != nil {
		t.Fatal(err)
	}
	if p := recv(t, parts); p != "door" {
		t.Errorf("got part %q", p)
	}

	// Zero handles (a Conn not made by Open or New) say so.
	var zt typed.BoundTopic[Env[float64]]
	var zf typed.BoundFamily[SensorPart]
	h := typed.HandlerFunc[Env[float64]](func(context.Context, Env[float64], *distributer.Message) error { return nil })
	hp := typed.HandlerFunc[SensorPart](func(context.Context, SensorPart, *distributer.Message) error { return nil })
	_, serr := zt.Subscribe(ctx, h)
	_, fserr := zf.Subscribe(ctx, "*", hp)
	for i, err := range []error{zt.Publish(ctx, Env[float64]{}), serr, zf.Publish(ctx, SensorPart{}), fserr} {
		if !errors.Is(err, typed.ErrUnbound) || !strings.Contains(err.Error(), "Open or New") {
			t.Errorf("zero handle %d: %v", i, err)
		}
	}
}

// readingMessage is a fan-out's build function, as distgen generates it:
// the envelope of in around data, with the family's fill and the fan-out's
// set rule {"/meta/at": {"from": "/body/at"}}.
func readingMessage[T any](in *Env[Reading], data T, part string) Env[T] {
	out := Env[T]{Meta: in.Meta, Body: data}
	out = sensorFill[T](part)(out)
	out.Meta.At = in.Body.At
	return out
}

func newReadingFanOut(s sensors) *typed.FanOut[Env[Reading]] {
	return typed.NewFanOut(
		typed.NewFanPart(s.temp, "temp", func(in *Env[Reading]) (float64, bool) { return typed.Deref(in.Body.Temp) }, readingMessage[float64]),
		typed.NewFanPart(s.door, "door", func(in *Env[Reading]) (Door, bool) { return typed.Deref(in.Body.Door) }, readingMessage[Door]),
	)
}

func TestFanOutMessages(t *testing.T) {
	s := newSensors(t)
	fo := newReadingFanOut(s)
	temp := 20.5
	in := Env[Reading]{Meta: Meta{Part: "reading"}, Body: Reading{At: 7, Temp: &temp, Door: &Door{Open: true}}}
	msgs, err := fo.Messages(in, distributer.WithID("r1"), distributer.WithHeaders(map[string]string{"k": "v"}))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range msgs {
		got = append(got, m.Topic+" "+m.ID+" "+m.Headers["k"]+" "+string(m.Body))
	}
	want := []string{
		`sensor.temp r1.temp v {"meta":{"part":"temp","at":7},"body":20.5}`,
		`sensor.door r1.door v {"meta":{"part":"door","at":7},"body":{"open":true}}`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("messages\n got %q\nwant %q", got, want)
	}
	// One part present: its id is kept as given.
	msgs, err = fo.Messages(Env[Reading]{Body: Reading{Door: &Door{}}}, distributer.WithID("r2"))
	if err != nil || len(msgs) != 1 || msgs[0].ID != "r2" || msgs[0].Topic != "sensor.door" {
		t.Errorf("one part: %+v, %v", msgs, err)
	}
	// None present: no messages, no error.
	if msgs, err := fo.Messages(Env[Reading]{}); err != nil || len(msgs) != 0 {
		t.Errorf("no part: %v, %v", msgs, err)
	}
	// Without WithID every message has its own generated id... later, when
	// published: here none.
	msgs, _ = fo.Messages(in)
	for _, m := range msgs {
		if m.ID != "" {
			t.Errorf("id %q without WithID", m.ID)
		}
	}
}

func TestFanOutPublish(t *testing.T) {
	ctx := context.Background()
	s := newSensors(t)
	fo := newReadingFanOut(s)
	d := open(t, newURL())
	var mu sync.Mutex
	var got []string
	n := make(chan struct{}, 10)
	sub, err := d.Subscribe(ctx, []string{"#"}, distributer.HandlerFunc(func(_ context.Context, m *distributer.Message) error {
		mu.Lock()
		got = append(got, m.Topic)
		mu.Unlock()
		n <- struct{}{}
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()

	// An invalid part (a temperature that is not a number cannot be built,
	// so: a door whose fill is broken) means nothing is sent.
	broken := typed.NewFanOut(
		typed.NewFanPart(s.temp, "temp", func(in *Env[Reading]) (float64, bool) { return typed.Deref(in.Body.Temp) }, readingMessage[float64]),
		typed.NewFanPart(s.door, "door", func(in *Env[Reading]) (Door, bool) { return typed.Deref(in.Body.Door) }, func(in *Env[Reading], data Door, part string) Env[Door] {
			return Env[Door]{Meta: Meta{Part: "window"}, Body: data}
		}),
	)
	temp := 1.0
	in := Env[Reading]{Body: Reading{Temp: &temp, Door: &Door{}}}
	var ve *typed.ValidationError
	if err := broken.Publish(ctx, d, in); !errors.As(err, &ve) || ve.Topic != "sensor.door" {
		t.Fatalf("Publish with an invalid part: %v", err)
	}
	if err := fo.Publish(ctx, d, Env[Reading]{}); err != nil {
		t.Fatalf("Publish of no part: %v", err)
	}
	if err := fo.Publish(ctx, d, in); err != nil {
		t.Fatal(err)
	}
	recv(t, n)
	recv(t, n)
	mu.Lock()
	defer mu.Unlock()
	slices.Sort(got)
	if !slices.Equal(got, []string{"sensor.door", "sensor.temp"}) {
		t.Errorf("published %v (nothing of the invalid or empty fan-outs)", got)
	}
}

func TestFanOutMisuse(t *testing.T) {
	s := newSensors(t)
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), `part "temp" is declared twice`) {
			t.Errorf("panic %v", r)
		}
	}()
	get := func(in *Env[Reading]) (float64, bool) { return typed.Deref(in.Body.Temp) }
	typed.NewFanOut(typed.NewFanPart(s.temp, "temp", get, readingMessage[float64]), typed.NewFanPart(s.temp, "temp", get, readingMessage[float64]))
}

func TestDerefAsIs(t *testing.T) {
	if v, ok := typed.Deref[int](nil); v != 0 || ok {
		t.Errorf("Deref(nil) = %v, %v", v, ok)
	}
	x := 3
	if v, ok := typed.Deref(&x); v != 3 || !ok {
		t.Errorf("Deref(&3) = %v, %v", v, ok)
	}
	if v := typed.AsIs(&Reading{}, "data", "part"); v != "data" {
		t.Errorf("AsIs = %q", v)
	}
}

// A family whose parts share one type: PartMessage carries the part's name
// beside the message, on publish and on receive.
func TestSharedFamily(t *testing.T) {
	ctx := context.Background()
	files := map[string]string{
		"level.json": `{"type": "object", "required": ["meta", "body"], "properties": {
			"meta": {"type": "object", "required": ["part"], "properties": {"part": {"enum": ["low", "high"]}}},
			"body": {"type": "number"}}}`,
	}
	s, err := typed.Compile(files, map[string]string{"level.low": "level.json", "level.high": "level.json"})
	if err != nil {
		t.Fatal(err)
	}
	low := typed.NewTopic[Env[float64]](s, "level.low")
	high := typed.NewTopic[Env[float64]](s, "level.high")
	fam := typed.NewFamily("level.{part}",
		typed.NewSharedPart(low, "low", sensorFill[float64]("low")),
		typed.NewSharedPart(high, "high", sensorFill[float64]("high")),
	)
	type Level = typed.PartMessage[Env[float64]]
	if fam.Part(Level{Part: "high"}) != "high" || fam.Part(Level{Part: "mid"}) != "" || fam.Part(Level{}) != "" {
		t.Error("Part does not name the part of a PartMessage")
	}
	d := open(t, newURL())
	got := make(chan Level, 10)
	topics := make(chan string, 10)
	sub, err := fam.Subscribe(ctx, d, "*", typed.HandlerFunc[Level](func(_ context.Context, p Level, m *distributer.Message) error {
		topics <- m.Topic
		got <- p
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	if err := fam.Publish(ctx, d, Level{Part: "high", Message: Env[float64]{Body: 9}}); err != nil {
		t.Fatal(err)
	}
	if p, topic := recv(t, got), recv(t, topics); p != (Level{Part: "high", Message: Env[float64]{Meta: Meta{Part: "high"}, Body: 9}}) || topic != "level.high" {
		t.Errorf("got %+v on %s", p, topic)
	}
	// A message published on a part's topic arrives with that part's name.
	if err := low.Publish(ctx, d, Env[float64]{Meta: Meta{Part: "low"}, Body: 1}); err != nil {
		t.Fatal(err)
	}
	if p := recv(t, got); p.Part != "low" || p.Message.Body != 1 {
		t.Errorf("got %+v", p)
	}
	// An unknown or empty part name: ErrNoPart, naming the parts, nothing sent.
	for _, p := range []Level{{Part: "mid"}, {}} {
		err := fam.Publish(ctx, d, p)
		if !errors.Is(err, typed.ErrNoPart) || !strings.Contains(err.Error(), "one of low, high") {
			t.Errorf("Publish(%+v): %v", p, err)
		}
	}
	if err := d.Publish(ctx, "level.low", []byte(`{"meta": {"part": "low"}, "body": 2}`)); err != nil {
		t.Fatal(err)
	}
	if p := recv(t, got); p.Part != "low" || p.Message.Body != 2 {
		t.Errorf("after the refused publishes, got %+v", p)
	}
}
