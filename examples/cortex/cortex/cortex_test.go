package cortex_test

import (
	"context"
	"encoding/json"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/distributer/distributer"
	"github.com/distributer/distributer/examples/cortex/cortex"
	"github.com/distributer/distributer/gen"
)

// TestGeneratedIsFresh fails when examples/cortex/cortex differs from a fresh run
// of distgen on schema/ (run make generate).
func TestGeneratedIsFresh(t *testing.T) {
	set, err := gen.Load(os.DirFS("../schema"))
	if err != nil {
		t.Fatal(err)
	}
	files, err := gen.Generate(set, gen.Config{Package: "cortex", ContractTest: true}) // -contract-test in doc.go
	if err != nil {
		t.Fatal(err)
	}
	diffs, err := gen.Compare(".", files)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range diffs {
		t.Errorf("examples/cortex/cortex/%s is %s; run make generate\n%s", d.Name, d.Status, d.Diff)
	}
}

func snapshot() cortex.Snapshot {
	return cortex.Snapshot{
		Datetime: 1575446887339,
		Pose: &cortex.Pose{
			Translation: cortex.Translation{X: 0.5, Y: 0.25, Z: -1},
			Rotation:    cortex.Rotation{X: -0.1, Y: -0.25, Z: 0, W: 0.95},
		},
		Feelings: &cortex.Feelings{Hunger: 0, Thirst: -0.25, Exhaustion: 0.5, Happiness: -1},
	}
}

// TestPublishServerWire publishes a user and a snapshot through
// PublishServer and checks the exact bodies of the cortex wire format.
func TestPublishServerWire(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := cortex.Open(ctx, "memory://")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var mu sync.Mutex
	var got []string
	done := make(chan struct{}, 8)
	sub, err := c.Subscribe(ctx, []string{"#"}, distributer.HandlerFunc(func(ctx context.Context, m *distributer.Message) error {
		mu.Lock()
		got = append(got, m.Topic+" "+string(m.Body))
		mu.Unlock()
		done <- struct{}{}
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	user := cortex.User{ID: 42, Name: "Dan Gittik", Birthday: 699746400, Gender: cortex.GenderMale}
	if err := c.PublishServer(ctx, cortex.Server{User: user}); err != nil {
		t.Fatal(err)
	}
	s := snapshot()
	if err := c.PublishServer(ctx, cortex.Server{User: user, Snapshot: &s}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		select {
		case <-done:
		case <-ctx.Done():
			t.Fatalf("timed out; got %q", got)
		}
	}
	want := []string{
		`user {"metadata":{"user_id":42,"topic":"user"},"data":{"id":42,"name":"Dan Gittik","birthday":699746400,"gender":0}}`,
		`raw.pose {"metadata":{"user_id":42,"datetime":1575446887339,"topic":"pose"},"data":{"translation":{"x":0.5,"y":0.25,"z":-1},"rotation":{"x":-0.1,"y":-0.25,"z":0,"w":0.95}}}`,
		`raw.feelings {"metadata":{"user_id":42,"datetime":1575446887339,"topic":"feelings"},"data":{"hunger":0,"thirst":-0.25,"exhaustion":0.5,"happiness":-1}}`,
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != len(want) {
		t.Fatalf("got %d messages %q, want %d", len(got), got, len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("message %d:\n got %s\nwant %s", i, got[i], want[i])
		}
	}
}

// TestSubscribeRawTopicByPattern decodes by routing key into the part's field.
func TestSubscribeRawTopicByPattern(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := cortex.Open(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	parts := make(chan cortex.RawPart, 4)
	if _, err := c.Raw.Subscribe(ctx, "*", cortex.RawHandlerFunc(func(ctx context.Context, p cortex.RawPart, m *distributer.Message) error {
		parts <- p
		return nil
	})); err != nil {
		t.Fatal(err)
	}
	in := cortex.Envelope[cortex.Snapshot]{Metadata: cortex.Metadata{UserID: 7}, Data: snapshot()}
	if err := c.PublishRawSnapshot(ctx, in); err != nil {
		t.Fatal(err)
	}
	var order []string
	for len(order) < 2 {
		select {
		case p := <-parts:
			order = append(order, p.Part())
			if p.Part() == "pose" && (p.Pose.Metadata != cortex.Metadata{UserID: 7, Datetime: 1575446887339, Topic: "pose"}) {
				t.Errorf("pose metadata = %+v", p.Pose.Metadata)
			}
		case <-ctx.Done():
			t.Fatalf("timed out after %v", order)
		}
	}
	if order[0] != "pose" || order[1] != "feelings" {
		t.Errorf("order = %v, want [pose feelings]", order)
	}
}

// TestGenderRejectsUnknown: the integer enum's UnmarshalJSON validates.
func TestGenderRejectsUnknown(t *testing.T) {
	var u cortex.User
	if err := json.Unmarshal([]byte(`{"id":1,"name":"x","birthday":0,"gender":3}`), &u); err == nil {
		t.Fatal("gender 3 accepted")
	}
	if err := json.Unmarshal([]byte(`{"id":1,"name":"x","birthday":0,"gender":2}`), &u); err != nil || u.Gender != cortex.GenderOther {
		t.Fatalf("gender 2: %v %v", u.Gender, err)
	}
}

// TestFanOutIDs: an id given with WithID becomes <id>.<part>, so that
// consumers de-duplicating by id keep every part.
func TestFanOutIDs(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := cortex.Open(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ids := make(chan string, 4)
	if _, err := c.Raw.Subscribe(ctx, "#", cortex.RawHandlerFunc(func(ctx context.Context, p cortex.RawPart, m *distributer.Message) error {
		ids <- m.ID
		return nil
	})); err != nil {
		t.Fatal(err)
	}
	if err := c.PublishRawSnapshot(ctx, cortex.Envelope[cortex.Snapshot]{Data: snapshot()}, distributer.WithID("snap-1")); err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for len(got) < 2 {
		select {
		case id := <-ids:
			got[id] = true
		case <-ctx.Done():
			t.Fatalf("timed out with %v", got)
		}
	}
	if !got["snap-1.pose"] || !got["snap-1.feelings"] {
		t.Errorf("ids = %v, want snap-1.pose and snap-1.feelings", got)
	}
}
