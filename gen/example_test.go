package gen_test

import (
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
