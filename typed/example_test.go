package typed_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/distributer/distributer"
	"github.com/distributer/distributer/typed"
)

// A schema set of one topic, compiled once; the typed handle refuses an
// invalid value before anything is sent, with the JSON pointer of each
// failing value.
func Example() {
	schemas := typed.MustCompile(map[string]string{
		"greeting.json": `{
			"$schema": "https://json-schema.org/draft/2020-12/schema",
			"type": "object",
			"required": ["to", "times"],
			"properties": {"to": {"type": "string", "minLength": 1}, "times": {"type": "integer", "minimum": 1}}
		}`,
	}, map[string]string{"greetings": "greeting.json"})

	type Greeting struct {
		To    string `json:"to"`
		Times int    `json:"times"`
	}
	greetings := typed.NewTopic[Greeting](schemas, "greetings")

	ctx := context.Background()
	d, err := distributer.Open(ctx, "memory://example-typed")
	if err != nil {
		panic(err)
	}
	defer d.Close()

	got := make(chan Greeting)
	sub, err := greetings.Subscribe(ctx, d, typed.HandlerFunc[Greeting](func(_ context.Context, g Greeting, _ *distributer.Message) error {
		got <- g
		return nil
	}))
	if err != nil {
		panic(err)
	}
	defer sub.Close()

	err = greetings.Publish(ctx, d, Greeting{To: "", Times: 0})
	var ve *typed.ValidationError
	if errors.As(err, &ve) {
		for _, c := range ve.Causes {
			fmt.Println(c.InstanceLocation, c.Keyword)
		}
	}
	if err := greetings.Publish(ctx, d, Greeting{To: "world", Times: 2}); err != nil {
		panic(err)
	}
	fmt.Printf("%+v\n", <-got)
	// Unordered output:
	// /to minLength
	// /times minimum
	// {To:world Times:2}
}

// Validate is what distributer.WithValidator calls for untyped publishes.
func ExampleSchemas_Validate() {
	schemas := typed.MustCompile(map[string]string{
		"reading.json": `{"type": "object", "properties": {"celsius": {"type": "number", "minimum": -273.15}}}`,
	}, map[string]string{"sensors.temperature": "reading.json"})

	fmt.Println(schemas.Validate("sensors.temperature", []byte(`{"celsius": 21.5}`)))
	fmt.Println(schemas.Validate("sensors.temperature", []byte(`{"celsius": -300}`)))
	err := schemas.Validate("sensors.humidity", []byte(`{}`))
	fmt.Println(errors.Is(err, distributer.ErrNoSchema))
	// Output:
	// <nil>
	// invalid message for topic "sensors.temperature": at /celsius: must be >= -273.15 but found -300 (minimum)
	// true
}

// A group that consumes several topics subscribes once, through a Router:
// each delivery is validated, decoded into its topic's type and handed to
// that topic's handler.
func ExampleRouter() {
	schemas := typed.MustCompile(map[string]string{
		"user.json": `{"type": "object", "required": ["id"], "properties": {"id": {"type": "integer"}}}`,
		"pose.json": `{"type": "object", "required": ["x", "y"], "properties": {"x": {"type": "number"}, "y": {"type": "number"}}}`,
	}, map[string]string{"user": "user.json", "parsed.pose": "pose.json"})
	type User struct {
		ID int `json:"id"`
	}
	type Pose struct {
		X float64 `json:"x"`
		Y float64 `json:"y"`
	}
	users := typed.NewTopic[User](schemas, "user")
	poses := typed.NewTopic[Pose](schemas, "parsed.pose")

	ctx := context.Background()
	d, err := distributer.Open(ctx, "memory://example-router")
	if err != nil {
		panic(err)
	}
	defer d.Close()

	saved := make(chan string)
	r := typed.NewRouter()
	typed.Route(r, users, typed.HandlerFunc[User](func(_ context.Context, u User, m *distributer.Message) error {
		saved <- fmt.Sprintf("%s: user %d", m.Topic, u.ID)
		return nil
	}))
	typed.Route(r, poses, typed.HandlerFunc[Pose](func(_ context.Context, p Pose, m *distributer.Message) error {
		saved <- fmt.Sprintf("%s: pose at (%g, %g)", m.Topic, p.X, p.Y)
		return nil
	}))
	sub, err := r.Subscribe(ctx, d, distributer.Group("saver"))
	if err != nil {
		panic(err)
	}
	defer sub.Close()

	if err := users.Publish(ctx, d, User{ID: 42}); err != nil {
		panic(err)
	}
	if err := poses.Publish(ctx, d, Pose{X: 1.5, Y: -2}); err != nil {
		panic(err)
	}
	fmt.Println(<-saved)
	fmt.Println(<-saved)
	// Unordered output:
	// user: user 42
	// parsed.pose: pose at (1.5, -2)
}

// Optional members of generated types: a pointer (nil means absent) for
// most, a Nullable where the schema also allows null. Ptr, Some and Null
// make them in one expression.
func ExampleNullable() {
	type Profile struct {
		Name     string                 `json:"name"`
		Nickname *string                `json:"nickname,omitempty"`
		Bio      typed.Nullable[string] `json:"bio,omitzero"`
		Avatar   typed.Nullable[string] `json:"avatar,omitzero"`
	}
	p := Profile{Name: "Ada", Nickname: typed.Ptr("ada"), Bio: typed.Some("mathematician"), Avatar: typed.Null[string]()}
	b, _ := json.Marshal(p)
	fmt.Println(string(b))

	var back Profile
	_ = json.Unmarshal([]byte(`{"name": "Ada", "avatar": null}`), &back)
	bio, ok := back.Bio.Get()
	fmt.Printf("bio %q %v, avatar set %v null %v\n", bio, ok, back.Avatar.Set, back.Avatar.Null)
	// Output:
	// {"name":"Ada","nickname":"ada","bio":"mathematician","avatar":null}
	// bio "" false, avatar set true null true
}
