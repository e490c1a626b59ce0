package gen

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/distributer/distributer/schema"
)

func loadMap(t *testing.T, files map[string]string) (*Input, error) {
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
			name:  "draft-07 dependencies",
			files: map[string]string{"a.json": `{"$schema": "http://json-schema.org/draft-07/schema#", "dependencies": {"x": ["y"], "y": {"$ref": "#"}}}`},
			file:  "a.json", pointer: "/dependencies/y/$ref",
			chain: "a.json#/dependencies/y/$ref -> back to",
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
			if e == nil || !errors.Is(err, schema.ErrSchema) || e.File != c.file || e.Pointer != c.pointer {
				t.Fatalf("got %v (%#v), want schema.ErrSchema in %s at %s", err, e, c.file, c.pointer)
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

// TestLoadRefusesSymlinksOutside: a symbolic link in the schema directory
// is read only when it leads to a file inside the directory; one to
// /etc/passwd or to ../outside.json is refused with an error naming it
// (issue 10, item 14).
func TestLoadRefusesSymlinksOutside(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symbolic links need privileges on Windows")
	}
	base := t.TempDir()
	dir := filepath.Join(base, "schemas")
	write := func(p, text string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	link := func(target, name string) {
		t.Helper()
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	secret := `{"title": "SECRET-OUTSIDE", "type": "object"}`
	write(filepath.Join(base, "outside.json"), secret)
	write(filepath.Join(dir, "defs", "a.json"), `{"type": "object", "properties": {"x": {"type": "string"}}}`)
	write(filepath.Join(dir, "b.json"), `{"$ref": "alias.json"}`)
	link("defs/a.json", "alias.json") // inside: fine
	link("alias.json", "alias2.json") // a link to an inside link: fine
	if _, err := Load(os.DirFS(dir)); err != nil {
		t.Fatalf("links inside the directory: %v", err)
	}

	cases := []struct{ name, target, want string }{
		{"passwd.json", "/etc/passwd", `absolute path`},
		{"up.json", "../outside.json", `up.json -> ../outside.json`},
		{"deep.json", "defs/../../outside.json", `deep.json -> defs/../../outside.json`},
		{"chain.json", "hop.json", `hop.json -> ../outside.json`},
		{"viadir.json", "defsdir/../../outside.json", `defsdir -> ..`},
	}
	link("../outside.json", "hop.json")
	link("..", "defsdir") // a link to a directory, not itself a *.json file
	for _, c := range cases {
		link(c.target, c.name)
	}
	_, err := Load(os.DirFS(dir))
	if !errors.Is(err, schema.ErrOutsideDir) {
		t.Fatalf("got %v, want schema.ErrOutsideDir", err)
	}
	var list schema.ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("got %T, want an schema.ErrorList", err)
	}
	got := map[string]string{}
	for _, e := range list {
		got[e.File] = e.Msg
	}
	for _, c := range append(cases, struct{ name, target, want string }{"hop.json", "", `hop.json -> ../outside.json`}) {
		msg, ok := got[c.name]
		if !ok || !strings.Contains(msg, c.want) {
			t.Errorf("%s: got %q, want an error containing %q", c.name, msg, c.want)
		}
	}
	if len(list) != len(cases)+1 {
		t.Errorf("got %d errors, want %d:\n%v", len(list), len(cases)+1, err)
	}
	if strings.Contains(err.Error(), "SECRET-OUTSIDE") || strings.Contains(err.Error(), "root:") {
		t.Errorf("the error shows the content of a file outside: %v", err)
	}
}
