package gen_test

import (
	"errors"
	"fmt"
	"strings"

	"github.com/distributer/distributer/gen"
)

// Generate a package from an in-memory schema set and print its struct.
func ExampleGenerate() {
	set, err := gen.LoadFiles(map[string][]byte{
		"user.json": []byte(`{
  "type": "object",
  "properties": {
    "user_id": {"type": "integer", "minimum": 0},
    "name": {"type": "string"},
    "born": {"type": "string", "format": "date-time"}
  },
  "required": ["user_id", "name"]
}`),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	files, err := gen.Generate(set, gen.Config{Package: "people"})
	if err != nil {
		fmt.Println(err)
		return
	}
	src := string(files["types.go"])
	fmt.Print(src[strings.Index(src, "type User struct"):])
	// Output:
	// type User struct {
	// 	UserID uint64     `json:"user_id"`
	// 	Name   string     `json:"name"`
	// 	Born   *time.Time `json:"born,omitempty"`
	// }
}

// Load reports JSON syntax errors with file, line and column.
func ExampleLoadFiles_error() {
	_, err := gen.LoadFiles(map[string][]byte{"user.json": []byte("{\n  \"type\": \"object\",\n}")})
	fmt.Println(err)
	// Output:
	// user.json:3:1: invalid JSON: unexpected '}' in object, expected a member name in double quotes (fix the JSON syntax at this position)
}

// A mistake in distgen.json is reported with its file, line, column and
// JSON pointer; an unknown or misspelt key, with the keys allowed there.
func ExampleLoadFiles_manifest() {
	_, err := gen.LoadFiles(map[string][]byte{
		"order.json":   []byte(`{"type": "object", "properties": {"id": {"type": "string"}}}`),
		"distgen.json": []byte(`{"topics": {"order.placed": {"schema": "order.json", "envelop": "Event"}}}`),
	})
	fmt.Println(errors.Is(err, gen.ErrManifest))
	fmt.Println(err)
	// Output:
	// true
	// distgen.json:1:29: at /topics/order.placed: additionalProperties 'envelop' not allowed (allowed keys here: compatibility, description, envelope, schema, set; see the topic-declaration vocabulary in docs/distgen-json.md)
}
