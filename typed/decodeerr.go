package typed

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/distributer/distributer"
	"github.com/distributer/distributer/schema"
)

// DecodeError reports a body that satisfies the schema (or was not checked)
// but does not decode into the topic's Go type. It wraps
// distributer.ErrInvalidMessage and the decoding error.
type DecodeError struct {
	// Topic is the topic the message was published to or delivered on.
	Topic string
	// Pointer is the JSON pointer of the value that does not decode: the
	// deepest member or item whose value the Go type at that place refuses
	// ("/data/occurred_at"); "" for the whole body.
	Pointer string
	// Err is the decoding error.
	Err error
}

// Error says which topic, where and why the body does not decode.
func (e *DecodeError) Error() string {
	return fmt.Sprintf("invalid message for topic %q: at %s: cannot decode: %v", e.Topic, pointerOrRoot(e.Pointer), e.Err)
}

// Unwrap returns distributer.ErrInvalidMessage and the decoding error.
func (e *DecodeError) Unwrap() []error { return []error{distributer.ErrInvalidMessage, e.Err} }

// newDecodeError builds the *DecodeError of body, which json.Unmarshal
// refused to decode into *into with err.
func newDecodeError(topic string, body []byte, into any, err error) *DecodeError {
	budget := 8*len(body) + 1024
	return &DecodeError{Topic: topic, Pointer: locateDecode(body, reflect.TypeOf(into).Elem(), "", &budget), Err: err}
}

// locateDecode returns the JSON pointer of the deepest value of raw (at
// ptr, known not to decode into t) that does not decode into the Go type
// at its place: it descends into the member or item that does not decode on
// its own, and stops where none does (the value's own type refuses it, as
// time.Time refuses "yesterday"). budget bounds the bytes decoded on the
// way, so that locating costs at most a few times the body. A panic of an
// UnmarshalJSON method ends the search there.
func locateDecode(raw []byte, t reflect.Type, ptr string, budget *int) (at string) {
	defer func() {
		if recover() != nil {
			at = ptr
		}
	}()
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	fails := func(b []byte, t reflect.Type) bool {
		*budget -= len(b)
		return *budget >= 0 && json.Unmarshal(b, reflect.New(t).Interface()) != nil
	}
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) > 0 && raw[0] == '{' && (t.Kind() == reflect.Struct || t.Kind() == reflect.Map):
		dec := json.NewDecoder(bytes.NewReader(raw))
		if _, err := dec.Token(); err != nil { // {
			return ptr
		}
		for dec.More() {
			tok, err := dec.Token()
			k, ok := tok.(string)
			var v json.RawMessage
			if err != nil || !ok || dec.Decode(&v) != nil {
				return ptr
			}
			if ft, ok := memberType(t, k); ok && fails(v, ft) {
				return locateDecode(v, ft, ptr+"/"+schema.EscapeToken(k), budget)
			}
		}
	case len(raw) > 0 && raw[0] == '[' && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array):
		var items []json.RawMessage
		if json.Unmarshal(raw, &items) != nil {
			return ptr
		}
		for i, item := range items {
			if fails(item, t.Elem()) {
				return locateDecode(item, t.Elem(), ptr+"/"+strconv.Itoa(i), budget)
			}
		}
	}
	return ptr
}

// memberType returns the type of the field or map value that the JSON
// member k decodes into, as encoding/json picks it: the field whose name
// (json tag, else Go name) is k, else one whose name equals k ignoring
// case.
func memberType(t reflect.Type, k string) (reflect.Type, bool) {
	if t.Kind() == reflect.Map {
		return t.Elem(), true
	}
	var fold reflect.Type
	for _, f := range reflect.VisibleFields(t) {
		if !f.IsExported() || f.Anonymous && f.Type.Kind() == reflect.Struct {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if name == k {
			return f.Type, true
		}
		if fold == nil && strings.EqualFold(name, k) {
			fold = f.Type
		}
	}
	return fold, fold != nil
}
