package contract

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/distributer/distributer/schema"
)

// loadDir reads a schema directory into the files map typed.Compile takes.
func loadDir(t testing.TB, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".json") {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		files[filepath.ToSlash(rel)] = string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// oracle is an independent validator: a plain jsonschema/v5 compiler over
// the same files, under a different base URL, knowing nothing of Generator.
type oracle struct {
	c     *jsonschema.Compiler
	cache map[string]*jsonschema.Schema
}

func newOracle(t testing.TB, files map[string]string) *oracle {
	t.Helper()
	c := jsonschema.NewCompiler()
	byURL := map[string]string{}
	for name, text := range files {
		byURL["mem:///schemas/"+name] = text
		var doc map[string]any
		if err := json.Unmarshal([]byte(text), &doc); err != nil {
			t.Fatal(err)
		}
		if id, ok := doc["$id"].(string); ok {
			byURL[id] = text
		}
	}
	c.LoadURL = func(u string) (io.ReadCloser, error) {
		if text, ok := byURL[u]; ok {
			return io.NopCloser(strings.NewReader(text)), nil
		}
		return nil, fmt.Errorf("oracle: %s not in the set", u)
	}
	return &oracle{c: c, cache: map[string]*jsonschema.Schema{}}
}

func (o *oracle) validate(t testing.TB, ref string, body []byte) error {
	t.Helper()
	sch, ok := o.cache[ref]
	if !ok {
		var err error
		sch, err = o.c.Compile("mem:///schemas/" + ref)
		if err != nil {
			t.Fatalf("oracle: compile %s: %v", ref, err)
		}
		o.cache[ref] = sch
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("oracle: %s is not JSON: %v", body, err)
	}
	return sch.Validate(v)
}

var genRefs = []string{
	"order.json",
	"order.json#/$defs/line",
	"defs/customer.json",
	"defs/money.json#/$defs/amount",
	"legacy.json",
	"byid.json",
	"hard.json",
}

func TestGenerateValidAndReproducible(t *testing.T) {
	files := loadDir(t, "testdata/gen")
	set, err := NewGenerator(files)
	if err != nil {
		t.Fatal(err)
	}
	or := newOracle(t, files)
	const n = 100
	for _, ref := range genRefs {
		distinct := map[string]bool{}
		for seed := uint64(1); seed <= n; seed++ {
			in, err := set.Generate(ref, seed)
			if err != nil {
				t.Fatalf("Generate(%s, %d): %v", ref, seed, err)
			}
			body := in.JSON()
			if err := or.validate(t, ref, body); err != nil {
				t.Fatalf("Generate(%s, %d) produced an invalid instance:\n%s\n%v", ref, seed, body, err)
			}
			again, err := set.Generate(ref, seed)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(body, again.JSON()) {
				t.Fatalf("Generate(%s, %d) is not reproducible:\n%s\n%s", ref, seed, body, again.JSON())
			}
			distinct[string(body)] = true
		}
		if len(distinct) < n/2 {
			t.Errorf("%s: only %d distinct instances from %d seeds", ref, len(distinct), n)
		}
	}
}

// TestGenerateCoverage checks that the generator explores the schema: both
// oneOf branches, optional members present and absent, nulls, extras via
// additionalProperties and patternProperties, bounds reached, multi-byte
// strings.
func TestGenerateCoverage(t *testing.T) {
	set, err := NewGenerator(loadDir(t, "testdata/gen"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for seed := uint64(1); seed <= 300; seed++ {
		in, err := set.Generate("order.json", seed)
		if err != nil {
			t.Fatal(err)
		}
		o := in.Value.(map[string]any)
		if p, ok := o["payment"].(map[string]any); ok {
			seen["payment:"+p["kind"].(string)] = true
		} else {
			seen["payment:absent"] = true
		}
		if o["notes"] == nil {
			if _, ok := o["notes"]; ok {
				seen["notes:null"] = true
			}
		} else {
			seen["notes:string"] = true
		}
		if a, ok := o["attributes"].(map[string]any); ok && len(a) > 0 {
			seen["attributes:extra"] = true
		}
		if l, ok := o["labels"].(map[string]any); ok {
			for k := range l {
				if !regexp.MustCompile(`^x-[a-z]+$`).MatchString(k) {
					t.Errorf("seed %d: label key %q does not match the pattern", seed, k)
				}
				seen["labels:key"] = true
			}
		}
		if n := len(o["lines"].([]any)); n == 1 {
			seen["lines:min"] = true
		} else if n == 5 {
			seen["lines:max"] = true
		}
		if p, ok := o["priority"].(json.Number); ok {
			seen["priority:"+string(p)] = true
		}
		if c, ok := o["customer"].(map[string]any); ok {
			if s, ok := c["name"].(string); ok && len(s) != utf8.RuneCountInString(s) {
				seen["name:multibyte"] = true
			}
			if _, ok := c["address"]; ok {
				seen["customer:address"] = true
			}
			switch c["tier"].(type) {
			case string:
				seen["tier:string"] = true
			case json.Number:
				seen["tier:integer"] = true
			}
		}
	}
	for _, want := range []string{"payment:card", "payment:transfer", "payment:absent", "notes:null", "notes:string",
		"attributes:extra", "labels:key", "lines:min", "lines:max", "priority:0", "priority:1", "priority:2",
		"name:multibyte", "customer:address", "tier:string", "tier:integer"} {
		if !seen[want] {
			t.Errorf("300 seeds never produced %s", want)
		}
	}
}

func TestMutantsAreInvalid(t *testing.T) {
	files := loadDir(t, "testdata/gen")
	set, err := NewGenerator(files)
	if err != nil {
		t.Fatal(err)
	}
	or := newOracle(t, files)
	kinds := map[MutationKind]int{}
	for _, ref := range genRefs {
		for seed := uint64(1); seed <= 10; seed++ {
			in, err := set.Generate(ref, seed)
			if err != nil {
				t.Fatal(err)
			}
			muts := in.Mutants()
			if len(muts) == 0 {
				t.Fatalf("%s seed %d: no mutants", ref, seed)
			}
			for _, m := range muts {
				kinds[m.Kind]++
				if err := or.validate(t, ref, m.JSON()); err == nil {
					t.Fatalf("%s seed %d: mutant %s is valid:\n%s", ref, seed, m, m.JSON())
				}
				// The pointer names the changed location: it exists in the
				// mutant (replaced, added) or in the original (removed).
				where := m.Value
				if m.Kind == RemoveRequired {
					where = in.Value
				}
				if _, ok := lookupPointer(where, m.Pointer); !ok {
					t.Fatalf("%s seed %d: mutant %s: pointer %q not found", ref, seed, m, m.Pointer)
				}
			}
		}
	}
	for _, k := range []MutationKind{RemoveRequired, WrongType, OutOfRange, BadLength, BadItemCount, NotInEnum, PatternBroken, ExtraProperty} {
		if kinds[k] == 0 {
			t.Errorf("no %s mutant produced", k)
		}
	}
}

func TestMutantPointers(t *testing.T) {
	set, err := NewGenerator(map[string]string{"s.json": `{
		"type": "object", "required": ["a", "n"], "additionalProperties": false,
		"properties": {"a": {"type": "object", "required": ["b"], "properties": {"b": {"enum": ["x", "y"]}}},
		               "n": {"type": "integer", "minimum": 1, "maximum": 9}}}`})
	if err != nil {
		t.Fatal(err)
	}
	in, err := set.Generate("s.json", 7)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, m := range in.Mutants() {
		got[string(m.Kind)+" "+m.Pointer] = true
	}
	for _, want := range []string{
		"required-removed /a", "required-removed /n", "required-removed /a/b",
		"additional-property /unexpectedProperty", "not-in-enum /a/b",
		"out-of-range /n", "wrong-type /n", "wrong-type /a",
	} {
		if !got[want] {
			t.Errorf("missing mutant %q; got %v", want, got)
		}
	}
}

func TestGenerateErrors(t *testing.T) {
	for _, tc := range []struct {
		file, text string
		is         error
		want       string
	}{
		{"remote.json", `{"$ref": "https://example.org/x.json"}`, schema.ErrRemoteRef, "https://example.org/x.json"},
		{"missing.json", `{"$ref": "nope.json"}`, schema.ErrRef, "nope.json"},
	} {
		_, err := NewGenerator(map[string]string{tc.file: tc.text})
		if !errors.Is(err, tc.is) || !errors.Is(err, schema.ErrSchema) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.file) {
			t.Errorf("NewGenerator(%s) = %v, want %v mentioning %q", tc.file, err, tc.is, tc.want)
		}
	}
	set, err := NewGenerator(map[string]string{
		"never.json": `{"type": "integer", "minimum": 5, "maximum": 4}`,
		"false.json": `false`,
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		ref  string
		is   error
		want string
	}{
		{"never.json", ErrUnsatisfiable, "never.json"},
		{"false.json", ErrUnsatisfiable, "false"},
		{"absent.json", schema.ErrRef, "absent.json"},
		{"https://example.org/x.json", schema.ErrRemoteRef, "https://example.org/x.json"},
	} {
		_, err := set.Generate(tc.ref, 1)
		if !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Generate(%s) = %v, want %v mentioning %q", tc.ref, err, tc.is, tc.want)
		}
	}
	if _, err := NewGenerator(map[string]string{"bad.json": "{\n  \"type\": }"}); err == nil || !errors.Is(err, schema.ErrSyntax) || !strings.Contains(err.Error(), "bad.json:2:11") {
		t.Errorf("NewGenerator(bad JSON) = %v, want file and line", err)
	}
}

func TestPatternFallsBackToExamples(t *testing.T) {
	// An exact length of 40 is (nearly) never hit by random repetition
	// counts: the string examples are used instead.
	set, err := NewGenerator(map[string]string{"s.json": `{"type": "string", "pattern": "^[a-z]+$", "minLength": 40, "maxLength": 40,
		"examples": ["abcdefghijabcdefghijabcdefghijabcdefghij"]}`})
	if err != nil {
		t.Fatal(err)
	}
	for seed := uint64(1); seed < 20; seed++ {
		in, err := set.Generate("s.json", seed)
		if err != nil {
			t.Fatal(err)
		}
		if s := in.Value.(string); len(s) != 40 {
			t.Fatalf("seed %d: %q", seed, s)
		}
	}
}

func TestGenRegex(t *testing.T) {
	for _, p := range []string{`^ORD-[0-9]{4,8}$`, `[A-Z]{3}-\d{3}`, `^(foo|bar)+baz?$`, `^\w+@\w+\.(com|org)$`, `^[^\s]{2,5}$`, `(?i)^abc$`, `^a.c$`, `^$`} {
		re := regexp.MustCompile(p)
		for seed := uint64(0); seed < 50; seed++ {
			st := &genState{rng: newRand(seed)}
			s, err := genRegex(st.rng, p, maxRepeat)
			if err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			if !re.MatchString(s) {
				t.Fatalf("%s: generated %q does not match", p, s)
			}
		}
	}
}

func TestEqualJSON(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		eq   bool
	}{
		{`{"a":1,"b":[1,2]}`, `{"b":[1,2],"a":1.0}`, true},
		{`1e2`, `100`, true},
		{`"2024-05-01T10:00:00.100Z"`, `"2024-05-01T10:00:00.1Z"`, true},
		{`"2024-05-01T10:00:00Z"`, `"2024-05-01T12:00:00+02:00"`, false},
		{`{"a":1}`, `{"a":1,"b":null}`, false},
		{`[1,2]`, `[2,1]`, false},
		{`0.1`, `0.10000000000000001`, false},
		{`"x"`, `"y"`, false},
	} {
		a, _ := decodeJSON([]byte(tc.a))
		b, _ := decodeJSON([]byte(tc.b))
		if got := equalJSON(a, b); got != tc.eq {
			t.Errorf("equalJSON(%s, %s) = %v, want %v (%s)", tc.a, tc.b, got, tc.eq, diffJSON(a, b, ""))
		}
	}
}

func TestExamplesAndValidate(t *testing.T) {
	set, err := NewGenerator(loadDir(t, "testdata/gen"))
	if err != nil {
		t.Fatal(err)
	}
	ex, err := set.Examples("order.json")
	if err != nil || len(ex) != 1 {
		t.Fatalf("Examples = %v, %v", ex, err)
	}
	b, _ := json.Marshal(ex[0])
	if err := set.Validate("order.json", b); err != nil {
		t.Fatalf("example invalid: %v", err)
	}
	if err := set.Validate("order.json", []byte(`{"id": "x"}`)); err == nil {
		t.Fatal("Validate accepted an invalid order")
	}
}

func BenchmarkGenerateOrder(b *testing.B) {
	set, err := NewGenerator(loadDir(b, "testdata/gen"))
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; b.Loop(); i++ {
		if _, err := set.Generate("order.json", uint64(i)); err != nil {
			b.Fatal(err)
		}
	}
}

func TestIDDirectoryAlias(t *testing.T) {
	// As in typed.Compile: the $id's directory stands for the schema dir.
	set, err := NewGenerator(map[string]string{
		"order.json":     `{"$id": "https://shop.example/s/order.json", "type": "object", "required": ["c"], "properties": {"c": {"$ref": "defs/cust.json"}}}`,
		"defs/cust.json": `{"type": "string", "enum": ["ada"]}`,
	})
	if err != nil {
		t.Fatal(err)
	}
	in, err := set.Generate("order.json", 1)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(in.JSON()); got != `{"c":"ada"}` {
		t.Fatalf("got %s", got)
	}
}

func TestFloat32Format(t *testing.T) {
	set, err := NewGenerator(map[string]string{"f.json": `{"type": "number", "format": "float", "minimum": -1e6, "maximum": 1e6}`})
	if err != nil {
		t.Fatal(err)
	}
	for seed := uint64(1); seed <= 200; seed++ {
		in, err := set.Generate("f.json", seed)
		if err != nil {
			t.Fatal(err)
		}
		var f32 float32
		if err := json.Unmarshal(in.JSON(), &f32); err != nil {
			t.Fatal(err)
		}
		back, _ := json.Marshal(f32)
		a, _ := decodeJSON(in.JSON())
		b, _ := decodeJSON(back)
		if !equalJSON(a, b) {
			t.Fatalf("seed %d: %s does not survive float32: %s", seed, in.JSON(), back)
		}
	}
}

func TestGenerateHardCoverage(t *testing.T) {
	set, err := NewGenerator(loadDir(t, "testdata/gen"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for seed := uint64(1); seed <= 120; seed++ {
		in, err := set.Generate("hard.json", seed)
		if err != nil {
			t.Fatal(err)
		}
		o := in.Value.(map[string]any)
		seen["shape:"+o["shape"].(map[string]any)["kind"].(string)] = true
		if e, ok := o["either"].(json.Number); ok {
			n, _ := e.Int64()
			seen[fmt.Sprintf("either:3=%v,5=%v", n%3 == 0, n%5 == 0)] = true
		}
		if tr, ok := o["tree"].(map[string]any); ok {
			if kids, ok := tr["kids"].([]any); ok && len(kids) > 0 {
				if _, ok := kids[0].(map[string]any)["kids"]; ok {
					seen["tree:deep"] = true
				}
			}
		}
		if s, ok := o["huge"].(json.Number); ok && len(s) == 20 {
			seen["huge:20digits"] = true
		}
	}
	for _, want := range []string{"shape:circle", "shape:square", "either:3=true,5=false", "either:3=false,5=true", "tree:deep", "huge:20digits"} {
		if !seen[want] {
			t.Errorf("120 seeds never produced %s (seen %v)", want, seen)
		}
	}
}
