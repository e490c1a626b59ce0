package typed

import (
	"bytes"
	"encoding/json"
)

// Nullable is an optional member that may also be null: the Go type distgen
// generates for a member that is neither required nor non-nullable, where
// absent, null and a value are three different messages. Set false means
// absent; Set and Null mean null; otherwise the member is Value. With the
// omitzero tag that distgen writes, an absent member is left out when
// encoding.
//
// Make one with Some (a value), Null (null) or leave it zero (absent):
//
//	u := cortex.User{Nickname: typed.Some("neo"), Avatar: typed.Null[string]()}
type Nullable[T any] struct {
	Value T    // the value, when Set and not Null
	Set   bool // the member is present
	Null  bool // the member is null
}

// Some returns a present member holding v.
func Some[T any](v T) Nullable[T] { return Nullable[T]{Value: v, Set: true} }

// Null returns a present member that is null.
func Null[T any]() Nullable[T] { return Nullable[T]{Set: true, Null: true} }

// Get returns the value and true when the member is present and not null,
// and the zero T and false otherwise.
func (n Nullable[T]) Get() (T, bool) {
	if !n.Set || n.Null {
		var zero T
		return zero, false
	}
	return n.Value, true
}

// IsZero reports whether the member is absent (for the omitzero tag).
func (n Nullable[T]) IsZero() bool { return !n.Set }

// MarshalJSON writes null or the value. An absent member also writes null:
// leave it out with the omitzero tag.
func (n Nullable[T]) MarshalJSON() ([]byte, error) {
	if !n.Set || n.Null {
		return []byte("null"), nil
	}
	return json.Marshal(n.Value)
}

// UnmarshalJSON reads null or a value; the member is then Set.
func (n *Nullable[T]) UnmarshalJSON(b []byte) error {
	*n = Nullable[T]{Set: true}
	if string(bytes.TrimSpace(b)) == "null" {
		n.Null = true
		return nil
	}
	return json.Unmarshal(b, &n.Value)
}

// Ptr returns a pointer to a copy of v: for the optional members of
// generated types, which are pointers (nil means absent), so that a
// constant or the result of a call can be given in one expression:
//
//	o := orders.Order{Note: typed.Ptr("leave at the door")}
func Ptr[T any](v T) *T { return &v }
