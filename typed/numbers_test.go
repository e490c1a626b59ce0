package typed_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/distributer/distributer"
	"github.com/distributer/distributer/schema"
	"github.com/distributer/distributer/typed"
)

// Numbers that panicked jsonschema/v5 (nil *big.Rat) are invalid, with the
// number's JSON pointer, on every keyword that compares numbers, and in
// members no keyword looks at.
func TestValidateHugeNumbers(t *testing.T) {
	s, err := typed.Compile(map[string]string{"n.json": `{
		"type": "object",
		"properties": {
			"min": {"minimum": 0}, "max": {"exclusiveMaximum": 10}, "int": {"type": "integer"},
			"mul": {"multipleOf": 0.5}, "enum": {"enum": [1, 2]}, "const": {"const": 3},
			"uniq": {"uniqueItems": true}, "one": {"oneOf": [{"type": "integer"}, {"minimum": 5}]}
		}
	}`}, map[string]string{"n": "n.json"})
	if err != nil {
		t.Fatal(err)
	}
	for _, num := range []string{"1e9999999", "-1e9999999", "1E+99999999", "1e-9999999"} {
		for _, key := range []string{"min", "max", "int", "mul", "enum", "const", "uniq", "one", "free"} {
			val := num
			if key == "uniq" {
				val = "[0, " + num + "]"
			}
			body := `{"` + key + `": ` + val + `}`
			err := s.Validate("n", []byte(body))
			var ve *typed.ValidationError
			if !errors.As(err, &ve) || !errors.Is(err, typed.ErrNumberRange) || !errors.Is(err, distributer.ErrInvalidMessage) {
				t.Errorf("Validate(%s) = %v, want a *ValidationError wrapping ErrNumberRange", body, err)
				continue
			}
			want := "/" + key
			if key == "uniq" {
				want += "/1"
			}
			if len(ve.Causes) != 1 || ve.Causes[0].InstanceLocation != want || !strings.Contains(ve.Error(), "outside the supported range") {
				t.Errorf("Validate(%s) = %v (causes %+v), want one cause at %s", body, err, ve.Causes, want)
			}
		}
	}
	if err := s.Validate("n", []byte(`{"min": 1e300, "free": -1e-300, "int": 18446744073709551616}`)); err != nil {
		t.Errorf("Validate(in range) = %v", err)
	}
}

// A schema file holding a number outside the range is refused by Compile.
func TestCompileHugeNumberInSchema(t *testing.T) {
	_, err := typed.Compile(map[string]string{"n.json": `{"minLength": 1e99999999}`}, map[string]string{"n": "n.json"})
	if !errors.Is(err, schema.ErrSchema) || !errors.Is(err, typed.ErrNumberRange) || !strings.Contains(err.Error(), "/minLength") {
		t.Errorf("Compile = %v, want ErrSchema and ErrNumberRange at /minLength", err)
	}
}

// Matches, the check of generated oneOf/anyOf helpers, never panics.
func TestMatchesHugeNumbers(t *testing.T) {
	s, err := typed.Compile(map[string]string{"m.json": `{"type": "integer", "minimum": 0}`}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for body, want := range map[string]bool{"5": true, "-1": false, "1e9999999": false, "-1E+99999999": false, "[": false} {
		if got := s.Matches("m.json", []byte(body)); got != want {
			t.Errorf("Matches(%s) = %v, want %v", body, got, want)
		}
	}
}

// A type whose UnmarshalJSON panics gives a *DecodeError, not a panic.
func TestUnmarshalPanicIsDecodeError(t *testing.T) {
	s, err := typed.Compile(map[string]string{"a.json": `{}`}, map[string]string{"a": "a.json"})
	if err != nil {
		t.Fatal(err)
	}
	topic := typed.NewTopic[panicky](s, "a")
	_, err = topic.Decode([]byte(`{}`))
	var de *typed.DecodeError
	if !errors.As(err, &de) || !errors.Is(err, distributer.ErrInvalidMessage) || !strings.Contains(err.Error(), "boom") {
		t.Errorf("Decode = %v, want a *DecodeError naming the panic", err)
	}
}

type panicky struct{}

func (*panicky) UnmarshalJSON([]byte) error { panic("boom") }

// The cause of an out-of-range number is located like jsonschema's causes
// (URL-escaped pointer tokens), in document order.
func TestHugeNumberPointerLikeJSONSchema(t *testing.T) {
	s, err := typed.Compile(map[string]string{"n.json": `{"type": "object"}`}, map[string]string{"n": "n.json"})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Validate("n", []byte(`{"a b": [0, {"k/é": 1e9999999}], "z": -1e9999999}`))
	var ve *typed.ValidationError
	if !errors.As(err, &ve) || len(ve.Causes) != 1 || ve.Causes[0].InstanceLocation != "/a%20b/1/k~1%C3%A9" {
		t.Fatalf("Validate = %v, want one cause at /a%%20b/1/k~1%%C3%%A9", err)
	}
}
