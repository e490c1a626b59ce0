package cortextest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/distributer/distributer"
	"github.com/distributer/distributer/examples/cortex/cortex"
	"github.com/distributer/distributer/typed"
)

// The values of the hand-written documents in testdata/wire, which were
// written from the facts of the cortex wire format (field names, integer
// versus number, the envelope, metadata.topic = the part name), not produced
// by this code.
var (
	user = cortex.User{ID: 42, Name: "Dan Gittik", Birthday: 699746400, Gender: cortex.GenderMale}
	pose = cortex.Pose{
		Translation: cortex.Translation{X: 0.4873843491077423, Y: 0.007090016733855009, Z: -1.1306129693984985},
		Rotation:    cortex.Rotation{X: -0.10888676356214629, Y: -0.26755994585035286, Z: -0.021271118915446748, W: 0.9571326384559261},
	}
	colorRaw   = cortex.Image{Data: "/var/cortex/42/1575446887339/color_image.raw", Width: 1920, Height: 1080}
	depthRaw   = cortex.Image{Data: "/var/cortex/42/1575446887339/depth_image.raw", Width: 224, Height: 172}
	feelings   = cortex.Feelings{Hunger: -0.5, Thirst: 0.25, Exhaustion: 1, Happiness: -1}
	colorJPEG  = cortex.ParsedImage{Data: "/var/cortex/42/1575446887339/color_image.jpeg", Width: 1920, Height: 1080}
	depthPNG   = cortex.ParsedImage{Data: "/var/cortex/42/1575446887339/depth_image.png", Width: 224, Height: 172}
	datetime   = uint64(1575446887339)
	metaOf     = func(part string) cortex.Metadata { return cortex.Metadata{UserID: 42, Datetime: datetime, Topic: part} }
	snapshotOf = func() cortex.Snapshot {
		p, c, d, f := pose, colorRaw, depthRaw, feelings
		return cortex.Snapshot{Datetime: datetime, Pose: &p, ColorImage: &c, DepthImage: &d, Feelings: &f}
	}
)

// expected reads the hand-written document of topic.
func expected(t *testing.T, topic string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "wire", topic+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sameJSON reports how got differs from want: same members (no more, no
// fewer), same strings, and numbers written the same way (an integer field
// must not come out as 42.0 or 4.2e1).
func sameJSON(want, got []byte) error {
	dec := func(b []byte) (any, error) {
		d := json.NewDecoder(bytes.NewReader(b))
		d.UseNumber()
		var v any
		return v, d.Decode(&v)
	}
	w, err := dec(want)
	if err != nil {
		return fmt.Errorf("expected document: %w", err)
	}
	g, err := dec(got)
	if err != nil {
		return fmt.Errorf("produced JSON: %w", err)
	}
	return diffJSON("", w, g)
}

func diffJSON(at string, w, g any) error {
	switch w := w.(type) {
	case map[string]any:
		gm, ok := g.(map[string]any)
		if !ok {
			return fmt.Errorf("at %q: got %v, want an object", at, g)
		}
		keys := func(m map[string]any) []string {
			var k []string
			for s := range m {
				k = append(k, s)
			}
			sort.Strings(k)
			return k
		}
		if wk, gk := keys(w), keys(gm); strings.Join(wk, ",") != strings.Join(gk, ",") {
			return fmt.Errorf("at %q: members %v, want %v", at, gk, wk)
		}
		for k := range w {
			if err := diffJSON(at+"/"+k, w[k], gm[k]); err != nil {
				return err
			}
		}
		return nil
	default:
		if fmt.Sprintf("%T %v", w, w) != fmt.Sprintf("%T %v", g, g) {
			return fmt.Errorf("at %q: got %T %v, want %T %v", at, g, g, w, w)
		}
		return nil
	}
}

// TestWireFormat marshals, with each topic's typed handle (which also
// validates), the Go value of each hand-written document and compares the
// JSON; and decodes each document and marshals it back.
func TestWireFormat(t *testing.T) {
	marshal := map[string]func() ([]byte, error){
		"user": func() ([]byte, error) {
			return cortex.Topics.User.Marshal(cortex.UserEnvelope[cortex.User]{Metadata: cortex.UserMetadata{UserID: 42, Topic: "user"}, Data: user})
		},
		"raw.pose": func() ([]byte, error) {
			return cortex.Topics.RawPose.Marshal(cortex.Envelope[cortex.Pose]{Metadata: metaOf("pose"), Data: pose})
		},
		"raw.color_image": func() ([]byte, error) {
			return cortex.Topics.RawColorImage.Marshal(cortex.Envelope[cortex.Image]{Metadata: metaOf("color_image"), Data: colorRaw})
		},
		"raw.depth_image": func() ([]byte, error) {
			return cortex.Topics.RawDepthImage.Marshal(cortex.Envelope[cortex.Image]{Metadata: metaOf("depth_image"), Data: depthRaw})
		},
		"raw.feelings": func() ([]byte, error) {
			return cortex.Topics.RawFeelings.Marshal(cortex.Envelope[cortex.Feelings]{Metadata: metaOf("feelings"), Data: feelings})
		},
		"parsed.pose": func() ([]byte, error) {
			return cortex.Topics.ParsedPose.Marshal(cortex.Envelope[cortex.Pose]{Metadata: metaOf("pose"), Data: pose})
		},
		"parsed.color_image": func() ([]byte, error) {
			return cortex.Topics.ParsedColorImage.Marshal(cortex.Envelope[cortex.ParsedImage]{Metadata: metaOf("color_image"), Data: colorJPEG})
		},
		"parsed.depth_image": func() ([]byte, error) {
			return cortex.Topics.ParsedDepthImage.Marshal(cortex.Envelope[cortex.ParsedImage]{Metadata: metaOf("depth_image"), Data: depthPNG})
		},
		"parsed.feelings": func() ([]byte, error) {
			return cortex.Topics.ParsedFeelings.Marshal(cortex.Envelope[cortex.Feelings]{Metadata: metaOf("feelings"), Data: feelings})
		},
	}
	if got, want := len(marshal), len(cortex.Schemas.Topics()); got != want {
		t.Fatalf("test covers %d topics, the set has %d: %v", got, want, cortex.Schemas.Topics())
	}
	for _, topic := range cortex.Schemas.Topics() {
		t.Run(topic, func(t *testing.T) {
			want := expected(t, topic)
			if err := cortex.Schemas.Validate(topic, want); err != nil {
				t.Fatalf("hand-written document is invalid for its topic: %v", err)
			}
			got, err := marshal[topic]()
			if err != nil {
				t.Fatal(err)
			}
			if err := sameJSON(want, got); err != nil {
				t.Errorf("%v\ngot  %s", err, got)
			}
		})
	}
	// Decoding the documents and marshalling them back gives them again.
	rt := map[string]func([]byte) ([]byte, error){
		"user":               roundTrip(cortex.Topics.User),
		"raw.pose":           roundTrip(cortex.Topics.RawPose),
		"raw.color_image":    roundTrip(cortex.Topics.RawColorImage),
		"raw.depth_image":    roundTrip(cortex.Topics.RawDepthImage),
		"raw.feelings":       roundTrip(cortex.Topics.RawFeelings),
		"parsed.pose":        roundTrip(cortex.Topics.ParsedPose),
		"parsed.color_image": roundTrip(cortex.Topics.ParsedColorImage),
		"parsed.depth_image": roundTrip(cortex.Topics.ParsedDepthImage),
		"parsed.feelings":    roundTrip(cortex.Topics.ParsedFeelings),
	}
	for topic, f := range rt {
		want := expected(t, topic)
		got, err := f(want)
		if err != nil {
			t.Errorf("%s: %v", topic, err)
			continue
		}
		if err := sameJSON(want, got); err != nil {
			t.Errorf("%s round trip: %v", topic, err)
		}
	}
}

func roundTrip[T any](topic typed.Topic[T]) func([]byte) ([]byte, error) {
	return func(b []byte) ([]byte, error) {
		v, err := topic.Decode(b)
		if err != nil {
			return nil, err
		}
		return topic.Marshal(v)
	}
}

// recorder subscribes to every topic ("#") and records what arrives.
type recorder struct {
	ch chan *distributer.Message
}

func record(t *testing.T, d *distributer.Distributer) *recorder {
	t.Helper()
	r := &recorder{ch: make(chan *distributer.Message, 100)}
	sub, err := d.Subscribe(context.Background(), []string{"#"}, distributer.HandlerFunc(func(_ context.Context, m *distributer.Message) error {
		r.ch <- m
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sub.Close() })
	return r
}

// next returns the next n messages, in arrival order, and checks that no
// more arrive.
func (r *recorder) next(t *testing.T, n int) []*distributer.Message {
	t.Helper()
	var out []*distributer.Message
	for len(out) < n {
		select {
		case m := <-r.ch:
			out = append(out, m)
		case <-time.After(5 * time.Second):
			t.Fatalf("got %d messages, want %d", len(out), n)
		}
	}
	select {
	case m := <-r.ch:
		t.Fatalf("unexpected extra message on %s: %s", m.Topic, m.Body)
	case <-time.After(50 * time.Millisecond):
	}
	return out
}

var nsCounter atomic.Int64

func openCortex(t *testing.T) *cortex.Conn {
	t.Helper()
	c, err := cortex.Open(context.Background(), fmt.Sprintf("memory://cortextest-%d", nsCounter.Add(1)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestSeedAPIOnTheWire checks the seed's publishing methods by the messages
// they put on the broker.
func TestSeedAPIOnTheWire(t *testing.T) {
	ctx := context.Background()
	c := openCortex(t)
	r := record(t, c.Distributer)
	check := func(ms []*distributer.Message, topics ...string) {
		t.Helper()
		for i, m := range ms {
			if m.Topic != topics[i] {
				t.Errorf("message %d on %s, want %s", i, m.Topic, topics[i])
				continue
			}
			if err := sameJSON(expected(t, topics[i]), m.Body); err != nil {
				t.Errorf("message %d on %s: %v\n%s", i, m.Topic, err, m.Body)
			}
		}
	}

	// publish_user and publish_server({user}): the user topic, metadata
	// user_id from the user, no datetime.
	if err := c.PublishUser(ctx, user); err != nil {
		t.Fatal(err)
	}
	check(r.next(t, 1), "user")
	if err := c.PublishServer(ctx, cortex.Server{User: user}); err != nil {
		t.Fatal(err)
	}
	check(r.next(t, 1), "user")

	// publish_server({user, snapshot}) and publish_raw_snapshot: the parts
	// in order pose, color_image, depth_image, feelings, each with its own
	// metadata (topic = the part, datetime = the snapshot's).
	s := snapshotOf()
	if err := c.PublishServer(ctx, cortex.Server{User: user, Snapshot: &s}); err != nil {
		t.Fatal(err)
	}
	all := []string{"raw.pose", "raw.color_image", "raw.depth_image", "raw.feelings"}
	check(r.next(t, 4), all...)
	in := cortex.Envelope[cortex.Snapshot]{Metadata: cortex.Metadata{UserID: 42}, Data: snapshotOf()}
	if err := c.PublishRawSnapshot(ctx, in); err != nil {
		t.Fatal(err)
	}
	check(r.next(t, 4), all...)
	if in.Metadata.Topic != "" || in.Metadata.Datetime != 0 {
		t.Errorf("PublishRawSnapshot changed its input's metadata: %+v", in.Metadata)
	}

	// Only the parts present are published, still in order.
	s = snapshotOf()
	s.ColorImage, s.Feelings = nil, nil
	if err := c.PublishServer(ctx, cortex.Server{User: user, Snapshot: &s}); err != nil {
		t.Fatal(err)
	}
	check(r.next(t, 2), "raw.pose", "raw.depth_image")
	s = snapshotOf()
	s.Pose, s.DepthImage = nil, nil
	if err := c.PublishServer(ctx, cortex.Server{User: user, Snapshot: &s}); err != nil {
		t.Fatal(err)
	}
	check(r.next(t, 2), "raw.color_image", "raw.feelings")

	// An invalid part: nothing of the snapshot is sent.
	s = snapshotOf()
	s.Feelings.Hunger = 2
	err := c.PublishServer(ctx, cortex.Server{User: user, Snapshot: &s})
	var ve *typed.ValidationError
	if !errAs(err, &ve) || ve.Topic != "raw.feelings" || ve.Causes[0].InstanceLocation != "/data/hunger" {
		t.Errorf("PublishServer with hunger 2 = %v, want a ValidationError at /data/hunger", err)
	} else {
		// As docs/typed.md shows it.
		if got, want := err.Error(), `invalid message for topic "raw.feelings": at /data/hunger: must be <= 1 but found 2 (maximum)`; got != want {
			t.Errorf("error %q, want %q", got, want)
		}
		if c := ve.Causes[0]; c.Keyword != "maximum" || c.AbsoluteKeywordLocation != "feelings.json#/properties/hunger/maximum" {
			t.Errorf("cause %+v", c)
		}
	}
	r.next(t, 0)

	// publish_parsed_topic: the parser keeps the raw metadata.
	for _, p := range []cortex.ParsedPart{
		{Pose: &cortex.Envelope[cortex.Pose]{Metadata: metaOf("pose"), Data: pose}},
		{ColorImage: &cortex.Envelope[cortex.ParsedImage]{Metadata: metaOf("color_image"), Data: colorJPEG}},
		{DepthImage: &cortex.Envelope[cortex.ParsedImage]{Metadata: metaOf("depth_image"), Data: depthPNG}},
		{Feelings: &cortex.Envelope[cortex.Feelings]{Metadata: metaOf("feelings"), Data: feelings}},
	} {
		if err := c.Parsed.Publish(ctx, p); err != nil {
			t.Fatal(err)
		}
		check(r.next(t, 1), "parsed."+p.Part())
	}
}

// TestSeedAPISubscribe checks subscribe_raw_topic and subscribe_parsed_topic
// with a part name and with a pattern, and the typed per-part form.
func TestSeedAPISubscribe(t *testing.T) {
	ctx := context.Background()
	c := openCortex(t)
	raw := make(chan cortex.RawPart, 10)
	parsed := make(chan cortex.ParsedPart, 10)
	poses := make(chan cortex.Envelope[cortex.Pose], 10)
	if _, err := c.Raw.Subscribe(ctx, "*", cortex.RawHandlerFunc(func(_ context.Context, p cortex.RawPart, m *distributer.Message) error {
		if m.Topic != "raw."+p.Part() {
			t.Errorf("part %q on %s", p.Part(), m.Topic)
		}
		raw <- p
		return nil
	})); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Parsed.Subscribe(ctx, "depth_image", cortex.ParsedHandlerFunc(func(_ context.Context, p cortex.ParsedPart, _ *distributer.Message) error {
		parsed <- p
		return nil
	}), distributer.Group("savers")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ParsedPose.Subscribe(ctx, cortex.ParsedPoseHandlerFunc(func(_ context.Context, v cortex.Envelope[cortex.Pose], _ *distributer.Message) error {
		poses <- v
		return nil
	})); err != nil {
		t.Fatal(err)
	}
	s := snapshotOf()
	if err := c.PublishServer(ctx, cortex.Server{User: user, Snapshot: &s}); err != nil {
		t.Fatal(err)
	}
	var got []string
	for range 4 {
		select {
		case p := <-raw:
			got = append(got, p.Part())
			if p.Part() == "color_image" && *p.ColorImage != (cortex.Envelope[cortex.Image]{Metadata: metaOf("color_image"), Data: colorRaw}) {
				t.Errorf("color image %+v", *p.ColorImage)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("raw parts received: %v", got)
		}
	}
	if strings.Join(got, ",") != "pose,color_image,depth_image,feelings" {
		t.Errorf("raw parts in order %v", got)
	}
	for _, p := range []cortex.ParsedPart{
		{Pose: &cortex.Envelope[cortex.Pose]{Metadata: metaOf("pose"), Data: pose}},
		{DepthImage: &cortex.Envelope[cortex.ParsedImage]{Metadata: metaOf("depth_image"), Data: depthPNG}},
		{ColorImage: &cortex.Envelope[cortex.ParsedImage]{Metadata: metaOf("color_image"), Data: colorJPEG}},
	} {
		if err := c.Parsed.Publish(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case p := <-parsed:
		if p.DepthImage == nil || p.DepthImage.Data != depthPNG {
			t.Errorf("parsed depth image %+v", p)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no parsed depth image")
	}
	select {
	case v := <-poses:
		if v.Data != pose || v.Metadata != metaOf("pose") {
			t.Errorf("parsed pose %+v", v)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no parsed pose")
	}
	select {
	case p := <-parsed:
		t.Errorf("subscription to parsed.depth_image got %s", p.Part())
	case <-time.After(50 * time.Millisecond):
	}
}

// TestUntypedWithRegistry: a cortex.Conn validates dynamic (string) topics
// too, and refuses topics the set does not declare.
func TestUntypedWithRegistry(t *testing.T) {
	ctx := context.Background()
	c := openCortex(t)
	if err := c.Publish(ctx, "raw.pose", expected(t, "raw.pose")); err != nil {
		t.Errorf("valid untyped publish: %v", err)
	}
	err := c.Publish(ctx, "raw.pose", expected(t, "raw.feelings"))
	var ve *typed.ValidationError
	if !errAs(err, &ve) || ve.Topic != "raw.pose" {
		t.Errorf("feelings on raw.pose = %v, want a ValidationError", err)
	}
	if err := c.Publish(ctx, "raw.mood", []byte(`{}`)); !errors.Is(err, distributer.ErrNoSchema) {
		t.Errorf("undeclared topic = %v, want ErrNoSchema", err)
	}
}

// TestValidMessagesValidateWithoutAllocating guards the fast path: every
// valid cortex message is decided on its bytes, with no allocation. If a
// schema change makes it give up, validation falls back to jsonschema
// (hundreds of allocations) and this test says which topic.
func TestValidMessagesValidateWithoutAllocating(t *testing.T) {
	for _, topic := range cortex.Schemas.Topics() {
		body := expected(t, topic)
		if n := testing.AllocsPerRun(20, func() {
			if err := cortex.Schemas.Validate(topic, body); err != nil {
				t.Fatal(err)
			}
		}); n != 0 {
			t.Errorf("%s: %v allocations per validation, want 0", topic, n)
		}
	}
}
