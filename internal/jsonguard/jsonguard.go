// Package jsonguard is the one boundary in front of
// github.com/santhosh-tekuri/jsonschema/v5: the two places of this module
// that validate a JSON instance with it, schema.Set (its Validate and
// ValidateJSON: gen.Load, contract.Generator) and typed.Schemas (Publish, receive,
// distgen validate, and the distgenMatch helper of generated code through
// Schemas.Matches), check the instance's numbers with Numbers and validate
// with Validate.
//
// jsonschema/v5 turns numbers into math/big.Rat values; a number whose
// exponent is too large for big.Rat (1e9999999) becomes a nil *big.Rat
// and panics the validator, and large exponents or long mantissas cost
// time and memory far beyond the size of the text. The supported range is
// therefore bounded: a number literal may have at most MaxDigits digits
// before its exponent, and its exponent (as written) at most MaxExponent in
// absolute value. Every number a float64, an int64 or a uint64 can hold is
// inside it. A number outside it is reported as a *NumberError naming its
// JSON pointer, never given to the validator.
package jsonguard

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"strconv"
	"strings"
	"unsafe"

	"github.com/santhosh-tekuri/jsonschema/v5"
)

// The supported number range (see the package doc).
const (
	MaxDigits   = 1000
	MaxExponent = 10000
)

// ErrNumberRange is wrapped by *NumberError.
var ErrNumberRange = errors.New("number outside the supported range")

// ErrValidatorPanic is wrapped by the error of Validate when the validator
// panicked.
var ErrValidatorPanic = errors.New("schema validator failed")

// NumberError reports a number outside the supported range.
type NumberError struct {
	// Pointer is the JSON pointer of the number ("" for the whole value).
	Pointer string
	// Literal is the number as written, shortened to 40 bytes.
	Literal string
}

// Error says which number, where, and what is supported.
func (e *NumberError) Error() string {
	p := e.Pointer
	if p == "" {
		p = "(root)"
	}
	return fmt.Sprintf("at %s: number %s is outside the supported range (at most %d digits and an exponent within ±%d)", p, e.Literal, MaxDigits, MaxExponent)
}

// Message is Error without the location, for errors that show the pointer
// on their own.
func (e *NumberError) Message() string {
	return fmt.Sprintf("number %s is outside the supported range (at most %d digits and an exponent within ±%d)", e.Literal, MaxDigits, MaxExponent)
}

// Unwrap returns ErrNumberRange.
func (e *NumberError) Unwrap() error { return ErrNumberRange }

// NumberOK reports whether lit, a JSON number literal, is inside the
// supported range. It does not check that lit is well formed.
func NumberOK(lit string) bool {
	digits := 0
	i := 0
	for ; i < len(lit); i++ {
		c := lit[i]
		if c == 'e' || c == 'E' {
			break
		}
		if c >= '0' && c <= '9' {
			digits++
		}
	}
	if digits > MaxDigits {
		return false
	}
	if i == len(lit) {
		return true
	}
	i++ // e
	if i < len(lit) && (lit[i] == '+' || lit[i] == '-') {
		i++
	}
	for i < len(lit)-1 && lit[i] == '0' {
		i++ // leading zeros
	}
	if len(lit)-i > 5 { // MaxExponent has 5 digits
		return false
	}
	e, err := strconv.Atoi(lit[i:])
	return err == nil && e <= MaxExponent
}

// Numbers returns a *NumberError for the first number (in document order)
// of b, a JSON text, that is outside the supported range, and nil when
// there is none. It does not allocate unless it finds one, and does not
// check that b is well formed: decode b first, and call Numbers only when
// it is.
func Numbers(b []byte) error {
	type frame struct {
		object   bool
		key      [2]int // the current member's key, as a range of b
		index    int
		expectKV bool // object: the next string is a key
	}
	var stackArr [32]frame
	stack := stackArr[:0]
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case c == '{' || c == '[':
			stack = append(stack, frame{object: c == '{', expectKV: c == '{'})
			i++
		case c == '}' || c == ']':
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
			i++
		case c == ',':
			if n := len(stack); n > 0 {
				if stack[n-1].object {
					stack[n-1].expectKV = true
				} else {
					stack[n-1].index++
				}
			}
			i++
		case c == '"':
			start := i
			i++
			for i < len(b) && b[i] != '"' {
				if b[i] == '\\' {
					i++
				}
				i++
			}
			i++
			if n := len(stack); n > 0 && stack[n-1].object && stack[n-1].expectKV {
				stack[n-1].key = [2]int{start, min(i, len(b))}
				stack[n-1].expectKV = false
			}
		case c == '-' || (c >= '0' && c <= '9'):
			start := i
			for i < len(b) && (b[i] == '-' || b[i] == '+' || b[i] == '.' || b[i] == 'e' || b[i] == 'E' || (b[i] >= '0' && b[i] <= '9')) {
				i++
			}
			lit := b[start:i]
			if NumberOK(unsafe.String(&lit[0], len(lit))) {
				continue
			}
			var p strings.Builder
			for _, f := range stack {
				p.WriteByte('/')
				if !f.object {
					p.WriteString(strconv.Itoa(f.index))
					continue
				}
				var k string
				if json.Unmarshal(b[f.key[0]:f.key[1]], &k) != nil {
					k = string(b[f.key[0]:f.key[1]])
				}
				p.WriteString(strings.ReplaceAll(strings.ReplaceAll(k, "~", "~0"), "/", "~1"))
			}
			if len(lit) > 40 {
				lit = append(lit[:37:37], "..."...)
			}
			return &NumberError{Pointer: p.String(), Literal: string(lit)}
		default:
			i++
		}
	}
	return nil
}

// Validate validates v, a decoded JSON value (numbers as json.Number), with
// s. A panic of the validator is recovered and returned as an error
// wrapping ErrValidatorPanic. Check the instance with Numbers first: inside
// the supported range, the validator does not panic on numbers.
func Validate(s *jsonschema.Schema, v any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &PanicError{Value: r, Stack: debug.Stack()}
		}
	}()
	return s.Validate(v)
}

// PanicError is a recovered panic of the validator.
type PanicError struct {
	Value any
	Stack []byte
}

// Error says what the validator panicked with.
func (e *PanicError) Error() string {
	return fmt.Sprintf("%v: panic: %v", ErrValidatorPanic, e.Value)
}

// Unwrap returns ErrValidatorPanic.
func (e *PanicError) Unwrap() error { return ErrValidatorPanic }

// ValidateJSON decodes b (one JSON value, numbers exact), checks its numbers
// and validates it with s: the whole boundary for callers that hold the
// JSON text. A body that is not JSON gives the decoding error.
func ValidateJSON(s *jsonschema.Schema, b []byte) error {
	v, err := Decode(b)
	if err != nil {
		return err
	}
	if err := Numbers(b); err != nil {
		return err
	}
	return Validate(s, v)
}

// Decode decodes b, which must hold exactly one JSON value, with numbers as
// json.Number.
func Decode(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("invalid JSON: data after the first value")
	}
	return v, nil
}
