package jsonguard

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v5"
)

func TestNumberOK(t *testing.T) {
	for _, lit := range []string{
		"0", "-0", "1", "-1.5", "18446744073709551615", "-9223372036854775808", "1e308", "1e-324",
		strconv.FormatFloat(math.MaxFloat64, 'g', -1, 64), strconv.FormatFloat(math.SmallestNonzeroFloat64, 'g', -1, 64),
		"1e10000", "1E-10000", "1e+010000", "1e000000000000000000010000", strings.Repeat("9", MaxDigits),
		"0." + strings.Repeat("0", MaxDigits-2) + "1",
	} {
		if !NumberOK(lit) {
			t.Errorf("NumberOK(%.50s) = false, want true", lit)
		}
	}
	for _, lit := range []string{
		"1e9999999", "-1e9999999", "1E+99999999", "1e-9999999", "1e10001", "1e-10001", "1e99999999999999999999999",
		strings.Repeat("9", MaxDigits+1), "0." + strings.Repeat("0", MaxDigits), "-" + strings.Repeat("1", MaxDigits) + ".5",
	} {
		if NumberOK(lit) {
			t.Errorf("NumberOK(%.50s) = true, want false", lit)
		}
	}
}

func TestNumbersPointer(t *testing.T) {
	for _, c := range []struct{ body, ptr, lit string }{
		{`1e9999999`, "", "1e9999999"},
		{`{"a": [1, 2, {"b/c~": -1e9999999}]}`, "/a/2/b~1c~0", "-1e9999999"},
		{`{"s": "1e9999999 in a string, \"1e9999999\"", "k\u00e9y": [0, 1E+99999999]}`, "/kéy/1", "1E+99999999"},
		{`[[], {}, {"x": 1, "y": [3, 4, 1e-99999]}]`, "/2/y/2", "1e-99999"},
		{`[` + strings.Repeat("1", 2000) + `]`, "/0", strings.Repeat("1", 37) + "..."},
	} {
		err := Numbers([]byte(c.body))
		var ne *NumberError
		if !errors.As(err, &ne) || !errors.Is(err, ErrNumberRange) {
			t.Errorf("Numbers(%.40s) = %v, want a *NumberError", c.body, err)
			continue
		}
		if ne.Pointer != c.ptr || ne.Literal != c.lit {
			t.Errorf("Numbers(%.40s) = at %q %q, want at %q %q", c.body, ne.Pointer, ne.Literal, c.ptr, c.lit)
		}
	}
	if err := Numbers([]byte(`{"a": [1e300, -1.5e-300, "1e9999999"], "1e9999999": 0}`)); err != nil {
		t.Errorf("Numbers(in range) = %v", err)
	}
}

func TestNumbersNoAlloc(t *testing.T) {
	body := []byte(`{"a": [1, 2.5, -3e10, {"b": [true, null, "x\"y"]}], "c": 18446744073709551615}`)
	if n := testing.AllocsPerRun(100, func() { _ = Numbers(body) }); n != 0 {
		t.Errorf("Numbers allocates %v times, want 0", n)
	}
}

// Validate turns a panic of the validator into an error; ValidateJSON
// refuses the numbers that made jsonschema/v5 panic.
func TestValidateNeverPanics(t *testing.T) {
	c := jsonschema.NewCompiler()
	if err := c.AddResource("mem:///s.json", strings.NewReader(`{"items": {"type": "integer", "minimum": 0}, "uniqueItems": true}`)); err != nil {
		t.Fatal(err)
	}
	s := c.MustCompile("mem:///s.json")
	for _, body := range []string{`[1e9999999]`, `[-1e9999999, 1]`, `[1, 1E+99999999]`} {
		err := ValidateJSON(s, []byte(body))
		if !errors.Is(err, ErrNumberRange) {
			t.Errorf("ValidateJSON(%s) = %v, want ErrNumberRange", body, err)
		}
		v, _ := Decode([]byte(body))
		if err := Validate(s, v); !errors.Is(err, ErrValidatorPanic) {
			t.Errorf("Validate(%s) = %v, want the panic as ErrValidatorPanic", body, err)
		}
	}
	if err := ValidateJSON(s, []byte(`[1, 2, 1e300]`)); err != nil {
		t.Errorf("ValidateJSON(valid) = %v", err)
	}
}
