package typed

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/distributer/distributer/internal/jsonguard"
)

// sortedNames sorts the names of an additionalProperties message, which
// jsonschema lists in map order.
//
// It also drops empty tokens from the instance location: jsonschema locates
// the member "" at its parent ("" rather than "/").
func sortedNames(c Cause) Cause {
	for strings.Contains(c.InstanceLocation, "//") {
		c.InstanceLocation = strings.ReplaceAll(c.InstanceLocation, "//", "/")
	}
	c.InstanceLocation = strings.TrimSuffix(c.InstanceLocation, "/")
	if c.Keyword == "additionalProperties" {
		if names, ok := strings.CutPrefix(c.Message, "additionalProperties "); ok {
			names = strings.TrimSuffix(names, " not allowed")
			list := strings.Split(names, ", ")
			slices.Sort(list)
			c.Message = "additionalProperties " + strings.Join(list, ", ") + " not allowed"
		}
	}
	return c
}

// checkLocate checks that locate, the check of bodies over detailLimit,
// agrees with jsonschema on the whole body: the same verdict, and causes
// that are jsonschema's (all of them, when there are at most maxCauses).
func checkLocate(t *testing.T, schemas map[string]*compiled, body []byte) {
	v, err := decodeExact(body)
	if err != nil || len(body) > detailLimit || jsonguard.Numbers(body) != nil {
		return // validate stops before locate
	}
	for name, sch := range schemas {
		if sch.fast.valid(v, 0) {
			continue
		}
		whole := validate(sch, name, body)
		large := validateLarge(sch, name, body)
		if (whole == nil) != (large == nil) {
			t.Fatalf("%s: %s: jsonschema says %v, locate says %v", name, body, whole, large)
		}
		if whole == nil {
			continue
		}
		w, l := whole.(*ValidationError), large.(*ValidationError)
		if w.Err != nil || l.Err != nil {
			if fmt.Sprint(w.Err) != fmt.Sprint(l.Err) {
				t.Fatalf("%s: %s: errors differ: %v / %v", name, body, w.Err, l.Err)
			}
			continue
		}
		for i := range w.Causes {
			w.Causes[i] = sortedNames(w.Causes[i])
		}
		for _, c := range l.Causes {
			if !slices.Contains(w.Causes, sortedNames(c)) {
				t.Fatalf("%s: %s: locate's cause %+v is not one of jsonschema's %+v", name, body, c, w.Causes)
			}
		}
		if len(w.Causes) <= maxCauses && len(l.Causes) != len(w.Causes) {
			t.Fatalf("%s: %s: locate gives %d causes %+v, jsonschema %d %+v", name, body, len(l.Causes), l.Causes, len(w.Causes), w.Causes)
		}
	}
}

func TestLocateAgreesWithJSONSchema(t *testing.T) {
	schemas := compileFastSchemas(t)
	for _, s := range append(fastSeeds,
		`{"kind": "a", "t": [1, 2, 3, 4], "zz": 1, "s": 5}`, `{"kind": "a", "other": [{"kind": 7}, {}, {"kind": "b", "toolong": 1}]}`,
		`{"metadata": {"user_id": -1, "topic": "x", "extra": 1}, "data": {"x": 2, "y": 1}}`, `{"metadata": {}, "data": {}}`,
		`{"a": 9, "b": -1, "n": {"p": "abc", "r": 1}, "zz": 1}`, `{"v": 1, "kids": [{"v": 1.5}, {"kids": [{"v": "x"}]}, 3]}`,
		`{"tuple": ["a", 1, 2], "ref": 1.5, "all": "x"}`) {
		checkLocate(t, schemas, []byte(s))
	}
}

// The shop schemas of the external tests: $id references, draft-07
// definitions, envelopes.
func TestLocateAgreesOnShop(t *testing.T) {
	files := map[string]string{}
	root := os.DirFS("testdata/shop")
	err := fs.WalkDir(root, ".", func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := fs.ReadFile(root, p)
		files[p] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	s, err := Compile(files, map[string]string{"orders.created": "order.json", "orders.ping": "events.json#/definitions/ping",
		"orders.shipped": "events.json#/definitions/shipped", "customers.new": "https://shop.example/customer.json"})
	if err != nil {
		t.Fatal(err)
	}
	for _, body := range []string{
		`{"id": 7, "customer": {"name": "Ada", "tier": 1}, "items": [{"sku": "ABC-1", "qty": 2}], "total": {"amount": 12.5, "currency": "EUR"}}`,
		`{"id": -7, "customer": {"name": "", "tier": 9}, "items": [{"sku": "abc", "qty": 0}, {}], "total": {"amount": "x", "currency": "eur"}, "x": 1}`,
		`{"id": 7, "customer": {}, "items": [], "total": {}}`, `[]`, `{"name": "Ada", "tier": 1, "email": "nope"}`, `{}`, `{"at": "x"}`,
	} {
		checkLocate(t, s.topics, []byte(body))
	}
}

func FuzzLocate(f *testing.F) {
	for _, s := range fastSeeds {
		f.Add([]byte(s))
	}
	schemas := compileFastSchemas(f)
	f.Fuzz(func(t *testing.T, body []byte) { checkLocate(t, schemas, body) })
}

// An invalid body over detailLimit is checked without decoding it whole
// (jsonschema allocated 660 bytes per body byte and took seconds per MB
// when every item failed), and reports its first maxCauses causes.
func TestValidateLargeIsBounded(t *testing.T) {
	s, err := Compile(map[string]string{"s.json": `{"type": "array", "items": {"type": "string"}}`}, map[string]string{"s": "s.json"})
	if err != nil {
		t.Fatal(err)
	}
	body := append([]byte("["), bytes.Repeat([]byte("0,"), 1<<19)...)
	body[len(body)-1] = ']'
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	err = s.Validate("s", body)
	runtime.ReadMemStats(&m1)
	ve, ok := err.(*ValidationError)
	if !ok || len(ve.Causes) != maxCauses || ve.Causes[0].InstanceLocation != "/0" || ve.Causes[maxCauses-1].InstanceLocation != fmt.Sprintf("/%d", maxCauses-1) ||
		ve.Causes[0].Message != "expected string, but got number" || ve.Causes[0].KeywordLocation != "/items/type" {
		t.Fatalf("Validate = %v, want the first %d items' causes", err, maxCauses)
	}
	if perByte := float64(m1.TotalAlloc-m0.TotalAlloc) / float64(len(body)); perByte > 1 {
		t.Errorf("validating a %d-byte invalid body allocated %.2f bytes per byte, want at most 1", len(body), perByte)
	}
}
