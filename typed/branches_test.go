package typed_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"github.com/distributer/distributer/schema"
	"strings"
	"sync"
	"testing"

	"github.com/distributer/distributer/typed"
)

// Schemas of oneOf and anyOf types without a discriminator, one of whose
// branches refers to a file by its $id.
var branchFiles = map[string]string{
	"contact.json": `{"anyOf": [{"$ref": "https://example.com/email.json"}, {"$ref": "#/$defs/phone"}],
		"$defs": {"phone": {"type": "object", "required": ["phone"], "properties": {"phone": {"type": "string"}}}}}`,
	"email.json": `{"$id": "https://example.com/email.json", "type": "object", "required": ["email"], "properties": {"email": {"type": "string"}}}`,
	"value.json": `{"oneOf": [{"type": "string"}, {"type": "integer"}, {"type": "number"}]}`,
	"shape.json": `{"oneOf": [{"type": "array"}, {"type": "object", "required": ["x"]}]}`,
}

var branchRefs = []string{
	"contact.json#/anyOf/0", "contact.json#/anyOf/1",
	"value.json#/oneOf/0", "value.json#/oneOf/1", "value.json#/oneOf/2",
	"shape.json#/oneOf/0", "shape.json#/oneOf/1",
}

var branches = typed.MustCompileBranches(branchFiles, branchRefs...)

// Go types as distgen generates them: the UnmarshalJSON of each is one call.
type (
	Email struct {
		Email string `json:"email"`
	}
	Phone struct {
		Phone string `json:"phone"`
	}
	Contact struct {
		Email *Email
		Phone *Phone
	}
	Value struct {
		String *string
		Int    *int64
		Number *float64
	}
	Shape struct {
		Array  json.RawMessage
		Object *struct {
			X int `json:"x"`
		}
	}
)

func (v *Contact) UnmarshalJSON(b []byte) error {
	*v = Contact{}
	return branches.AnyOf("Contact", b,
		typed.Into("contact.json#/anyOf/0", "Email", &v.Email),
		typed.Into("contact.json#/anyOf/1", "Phone", &v.Phone),
	)
}

func (v *Value) UnmarshalJSON(b []byte) error {
	*v = Value{}
	return branches.OneOf("Value", b,
		typed.Into("value.json#/oneOf/0", "String", &v.String),
		typed.Into("value.json#/oneOf/1", "Int", &v.Int),
		typed.Into("value.json#/oneOf/2", "Number", &v.Number),
	)
}

func (v *Shape) UnmarshalJSON(b []byte) error {
	*v = Shape{}
	return branches.OneOf("Shape", b,
		typed.IntoRaw("shape.json#/oneOf/0", "Array", &v.Array),
		typed.Into("shape.json#/oneOf/1", "Object", &v.Object),
	)
}

func TestBranchesAnyOf(t *testing.T) {
	var c Contact
	if err := json.Unmarshal([]byte(`{"email": "a@b.c", "phone": "123"}`), &c); err != nil {
		t.Fatal(err)
	}
	if c.Email == nil || c.Email.Email != "a@b.c" || c.Phone == nil || c.Phone.Phone != "123" {
		t.Errorf("both branches: %+v", c)
	}
	if err := json.Unmarshal([]byte(`{"phone": "9"}`), &c); err != nil || c.Email != nil || c.Phone.Phone != "9" {
		t.Errorf("one branch: %+v, %v", c, err)
	}
	err := json.Unmarshal([]byte(`{"fax": "1"}`), &c)
	var be *typed.BranchError
	if !errors.As(err, &be) || be.Matched != 0 || be.Keyword != "anyOf" || err.Error() != "Contact: the value matches none of the anyOf schemas" {
		t.Errorf("no branch: %v", err)
	}
}

func TestBranchesOneOf(t *testing.T) {
	var v Value
	if err := json.Unmarshal([]byte(`"x"`), &v); err != nil || v.String == nil || *v.String != "x" || v.Int != nil || v.Number != nil {
		t.Errorf(`"x": %+v, %v`, v, err)
	}
	if err := json.Unmarshal([]byte(`1.5`), &v); err != nil || v.Number == nil || *v.Number != 1.5 || v.String != nil {
		t.Errorf("1.5: %+v, %v", v, err)
	}
	// 2 is an integer and a number: two branches match, none is kept.
	err := json.Unmarshal([]byte(`2`), &v)
	var be *typed.BranchError
	if !errors.As(err, &be) || be.Matched != 2 || err.Error() != "Value: the value matches 2 of the oneOf schemas, exactly one is allowed" {
		t.Errorf("2: %v", err)
	}
	if v.Int != nil || v.Number != nil || v.String != nil {
		t.Errorf("an ambiguous value left fields set: %+v", v)
	}
	if err := json.Unmarshal([]byte(`true`), &v); err == nil || !strings.Contains(err.Error(), "matches none of the oneOf schemas") {
		t.Errorf("true: %v", err)
	}
	// A number outside the supported range matches nothing (and never
	// panics).
	if err := json.Unmarshal([]byte(`1e999999999`), &v); err == nil {
		t.Error("a number out of range was accepted")
	}
}

func TestBranchesRaw(t *testing.T) {
	var s Shape
	if err := json.Unmarshal([]byte(` [1, 2]`), &s); err != nil || string(s.Array) != `[1, 2]` || s.Object != nil {
		t.Errorf("array: %+v, %v", s, err)
	}
	if err := json.Unmarshal([]byte(`{"x": 3}`), &s); err != nil || s.Object == nil || s.Object.X != 3 || s.Array != nil {
		t.Errorf("object: %+v, %v", s, err)
	}
	// Matching a branch's schema but not decoding into its Go type: the
	// error names the type and the field.
	err := json.Unmarshal([]byte(`{"x": 1.5}`), &s)
	if err == nil || !strings.HasPrefix(err.Error(), "Shape: Object: ") {
		t.Errorf("undecodable: %v", err)
	}
}

func TestBranchesNotCompiled(t *testing.T) {
	bs := typed.MustCompileBranches(branchFiles, "value.json#/oneOf/0")
	var s *string
	err := bs.OneOf("V", []byte(`"x"`), typed.Into("value.json#/oneOf/1", "Int", &s))
	if err == nil || !strings.Contains(err.Error(), "was not compiled") {
		t.Errorf("branch without a compiled schema: %v", err)
	}
}

func TestCompileBranchesErrors(t *testing.T) {
	for _, c := range []struct {
		files map[string]string
		ref   string
		want  string
	}{
		{branchFiles, "missing.json#/oneOf/0", `no file "missing.json"`},
		{branchFiles, "value.json#/oneOf/7", "value.json#/oneOf/7"},
		{map[string]string{"r.json": `{"$ref": "https://elsewhere.example/x.json"}`}, "r.json", "remote"},
		{map[string]string{"n.json": `{"minimum": 1e99999}`}, "n.json", "n.json"},
	} {
		_, err := typed.CompileBranches(c.files, c.ref)
		if !errors.Is(err, schema.ErrSchema) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("CompileBranches(%s) = %v, want an ErrSchema naming %q", c.ref, err, c.want)
		}
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "missing.json") {
			t.Errorf("MustCompileBranches panic: %v", r)
		}
	}()
	typed.MustCompileBranches(branchFiles, "missing.json")
}

// Branches is shared by every decoding goroutine.
func TestBranchesConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				var v Value
				if err := json.Unmarshal([]byte(fmt.Sprintf(`"%d"`, i)), &v); err != nil || *v.String != fmt.Sprint(i) {
					t.Errorf("decode: %+v, %v", v, err)
					return
				}
				var c Contact
				if err := json.Unmarshal([]byte(`{"email": "e"}`), &c); err != nil || c.Email == nil {
					t.Errorf("decode: %+v, %v", c, err)
					return
				}
			}
		}()
	}
	wg.Wait()
}
