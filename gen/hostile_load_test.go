package gen

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"
)

func loadMap(t *testing.T, files map[string]string) (*Set, error) {
	t.Helper()
	fsys := fstest.MapFS{}
	for k, v := range files {
		fsys[k] = &fstest.MapFile{Data: []byte(v)}
	}
	return Load(fsys)
}

// TestLoadRefusesInPlaceCycle: an allOf (or anyOf, oneOf, not, $ref) cycle
// makes the validator fail every message with "infinite loop"; Load refuses
// it, naming the file, the $ref's pointer and the chain (issue 10, item 15).
func TestLoadRefusesInPlaceCycle(t *testing.T) {
	cases := []struct {
		name    string
		files   map[string]string
		file    string
		pointer string
		chain   string
	}{
		{
			name: "allOf across two files",
			files: map[string]string{
				"a.json": `{"allOf": [{"$ref": "b.json"}]}`,
				"b.json": `{"type": "object", "allOf": [{"$ref": "a.json"}]}`,
			},
			file: "a.json", pointer: "/allOf/0/$ref",
			chain: "a.json#/allOf/0/$ref -> b.json#/allOf/0/$ref -> back to a.json#/allOf/0/$ref",
		},
		{
			name:  "$ref to itself",
			files: map[string]string{"a.json": `{"$defs": {"x": {"$ref": "#/$defs/x"}}, "type": "object"}`},
			file:  "a.json", pointer: "/$defs/x/$ref",
			chain: "a.json#/$defs/x/$ref -> back to a.json#/$defs/x/$ref",
		},
		{
			name:  "anyOf back to the root",
			files: map[string]string{"a.json": `{"anyOf": [{"type": "null"}, {"$ref": "#"}]}`},
			file:  "a.json", pointer: "/anyOf/1/$ref",
			chain: "a.json#/anyOf/1/$ref -> back to a.json#/anyOf/1/$ref",
		},
		{
			name: "three files through not and oneOf",
			files: map[string]string{
				"a.json": `{"not": {"$ref": "b.json"}}`,
				"b.json": `{"oneOf": [{"type": "string"}, {"$ref": "c.json#/$defs/c"}]}`,
				"c.json": `{"$defs": {"c": {"allOf": [{"$ref": "a.json"}]}}}`,
			},
			file: "a.json", pointer: "/not/$ref",
			chain: "a.json#/not/$ref -> b.json#/oneOf/1/$ref -> c.json#/$defs/c/allOf/0/$ref -> back to a.json#/not/$ref",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := loadMap(t, c.files)
			if err == nil {
				t.Fatal("loaded; want the cycle refused")
			}
			e := firstError(err)
			if e == nil || !errors.Is(err, ErrSchema) || e.File != c.file || e.Pointer != c.pointer {
				t.Fatalf("got %v (%#v), want ErrSchema in %s at %s", err, e, c.file, c.pointer)
			}
			if !strings.Contains(e.Msg, c.chain) || e.Line == 0 {
				t.Errorf("message %q (line %d): want the chain %q and a line", e.Msg, e.Line, c.chain)
			}
			if n := strings.Count(err.Error(), "cycle of"); n != 1 {
				t.Errorf("cycle reported %d times:\n%v", n, err)
			}
		})
	}
}

// TestLoadAcceptsRecursion: a schema that refers to itself for a member or
// an item moves on in the instance at each step: no cycle.
func TestLoadAcceptsRecursion(t *testing.T) {
	_, err := loadMap(t, map[string]string{
		"tree.json": `{"type": "object", "properties": {"kids": {"type": "array", "items": {"$ref": "#"}}, "next": {"anyOf": [{"type": "null"}, {"$ref": "tree.json"}]}}}`,
		"b.json":    `{"allOf": [{"$ref": "tree.json"}], "properties": {"x": {"$ref": "b.json"}}}`,
	})
	if err != nil {
		t.Fatal(err)
	}
}
