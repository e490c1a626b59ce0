package gen

import (
	"errors"
	"strings"
	"testing"

	"github.com/distributer/distributer/schema"
)

// A schema file or distgen.json holding a number the validator cannot
// represent is refused at load with its location; it used to panic the
// meta-schema check (nil *big.Rat) or silently drop the bound.
func TestLoadHugeNumbers(t *testing.T) {
	for _, c := range []struct {
		name    string
		files   map[string]string
		kind    error
		file    string
		pointer string
	}{
		{"minLength", map[string]string{"a.json": `{"type": "string", "minLength": 1e99999999}`}, schema.ErrSchema, "a.json", "/minLength"},
		{"minimum", map[string]string{"a.json": "{\n\"properties\": {\"n\": {\"minimum\": -1e9999999}}}"}, schema.ErrSchema, "a.json", "/properties/n/minimum"},
		{"enum", map[string]string{"a.json": `{"enum": [1, 1E+99999999]}`}, schema.ErrSchema, "a.json", "/enum/1"},
		{"manifest", map[string]string{"a.json": `{"type": "object"}`, "distgen.json": `{"topics": {"a": {"schema": "a.json", "x": 1e9999999}}}`}, ErrManifest, "distgen.json", "/topics/a/x"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := loadAndGenerate(c.files)
			e := firstError(err)
			if e == nil || !errors.Is(e, c.kind) || e.File != c.file || e.Pointer != c.pointer || !strings.Contains(e.Error(), "outside the supported range") {
				t.Fatalf("Load = %v, want %v in %s at %s saying the number is out of range", err, c.kind, c.file, c.pointer)
			}
			if c.file == "a.json" && e.Line == 0 {
				t.Errorf("error %v has no line", e)
			}
		})
	}
}
