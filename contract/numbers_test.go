package contract

import (
	"errors"
	"testing"

	"github.com/distributer/distributer/typed"
)

// Numbers the validator cannot represent are refused, never validated: in
// a schema file (NewGenerator) and in a body (Validate).
func TestHugeNumbers(t *testing.T) {
	if _, err := NewGenerator(map[string]string{"a.json": `{"maximum": 1e9999999}`}); !errors.Is(err, typed.ErrNumberRange) {
		t.Errorf("NewGenerator = %v, want ErrNumberRange", err)
	}
	s, err := NewGenerator(map[string]string{"a.json": `{"type": "array", "items": {"type": "integer", "minimum": 0}, "uniqueItems": true}`})
	if err != nil {
		t.Fatal(err)
	}
	for _, body := range []string{`[1e9999999]`, `[0, -1E+99999999]`} {
		if err := s.Validate("a.json", []byte(body)); !errors.Is(err, typed.ErrNumberRange) {
			t.Errorf("Validate(%s) = %v, want ErrNumberRange", body, err)
		}
	}
	if err := s.Validate("a.json", []byte(`[0, 1, 1e300]`)); err != nil {
		t.Errorf("Validate([0, 1, 1e300]) = %v, want nil", err)
	}
}
