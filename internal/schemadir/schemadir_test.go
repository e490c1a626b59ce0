package schemadir

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const dir = "../../cmd/distctl/testdata/schemas"

func TestCompile(t *testing.T) {
	s, err := Compile(dir)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(s.Topics(), ",") != "orders.cancelled,orders.placed" {
		t.Errorf("topics %v", s.Topics())
	}
	got := Reasons(s.Validate("orders.placed", []byte(`{"id": "x", "qty": 0, "extra": 1}`)), s, "orders.placed")
	var lines []string
	for _, r := range got {
		lines = append(lines, r.String())
	}
	if want := "at (root): additionalProperties 'extra' not allowed (additionalProperties)|at /id: does not match pattern '^o-[0-9]+$' (pattern)|at /qty: must be >= 1 but found 0 (minimum)"; strings.Join(lines, "|") != want {
		t.Errorf("reasons:\n%s\nwant\n%s", strings.Join(lines, "|"), want)
	}
	if r := Reasons(s.Validate("nope", []byte(`{}`)), s, "nope"); len(r) != 1 || r[0].Message != `no schema for topic "nope" (topics: orders.cancelled, orders.placed)` {
		t.Errorf("unknown topic: %+v", r)
	}
	if r := Reasons(nil, s, "x"); r != nil {
		t.Errorf("nil error: %+v", r)
	}
	if r := Reasons(errors.New("boom"), s, "x"); len(r) != 1 || r[0].String() != "at (root): boom" {
		t.Errorf("other error: %+v", r)
	}
}

func TestCompileErrors(t *testing.T) {
	if _, err := Compile("nonexistent"); err == nil || err.Error() != "-schemas nonexistent: not a readable directory" {
		t.Errorf("missing: %v", err)
	}
	empty := t.TempDir()
	if err := os.WriteFile(filepath.Join(empty, "distgen.json"), []byte(`{"topics": {}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(empty, "a.json"), []byte(`{"type": "object"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Compile(empty); err == nil || !strings.Contains(err.Error(), "declares no topics") {
		t.Errorf("no topics: %v", err)
	}
	bad := t.TempDir()
	os.WriteFile(filepath.Join(bad, "distgen.json"), []byte(`{"topics": {"a.b": {"schema": "a.json"}}}`), 0o644)
	os.WriteFile(filepath.Join(bad, "a.json"), []byte("{\n  \"type\": \n}"), 0o644)
	_, err := Compile(bad)
	if !IsLoadError(err) || !strings.Contains(err.Error(), filepath.ToSlash(filepath.Join(bad, "a.json"))+":") {
		t.Errorf("load error: %v", err)
	}
}
