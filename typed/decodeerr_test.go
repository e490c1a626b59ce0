package typed_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/distributer/distributer"
	"github.com/distributer/distributer/typed"
)

type shipment struct {
	ID    string `json:"id"`
	Lines []struct {
		SKU string    `json:"sku"`
		At  time.Time `json:"at"`
		Qty int64     `json:"qty"`
	} `json:"lines"`
	Meta map[string]struct {
		N uint8 `json:"n"`
	} `json:"meta"`
	Renamed string `json:"a/b"`
}

// A body the schema accepts but the Go type cannot hold gives a
// *DecodeError naming the topic and the JSON pointer of the value, like a
// *ValidationError, whatever refuses it: a type mismatch, a value out of
// range, or a type's own UnmarshalJSON (time.Time).
func TestDecodeErrorPointer(t *testing.T) {
	s := typed.MustCompile(map[string]string{"any.json": `{}`}, map[string]string{"shipments": "any.json"})
	topic := typed.NewTopic[shipment](s, "shipments")
	ok := `{"sku": "a", "at": "2020-01-01T00:00:00Z", "qty": 1}`
	for _, c := range []struct{ body, ptr string }{
		{`{"id": 7}`, "/id"},
		{`{"lines": [` + ok + `, {"sku": "b", "at": "yesterday"}]}`, "/lines/1/at"},
		{`{"lines": [` + ok + `, ` + ok + `, {"qty": 1.5}]}`, "/lines/2/qty"},
		{`{"meta": {"x/y": {"n": 1}, "z": {"n": 256}}}`, "/meta/z/n"},
		{`{"a/b": false}`, "/a~1b"},
		{`{"ID": 7}`, "/ID"}, // matched case-insensitively, as encoding/json does
		{`{"lines": {"sku": "a"}}`, "/lines"},
		{`[1]`, ""},
	} {
		_, err := topic.Unmarshal([]byte(c.body))
		var de *typed.DecodeError
		if !errors.As(err, &de) || !errors.Is(err, distributer.ErrInvalidMessage) {
			t.Errorf("Unmarshal(%s) = %v, want a *DecodeError", c.body, err)
			continue
		}
		at := c.ptr
		if at == "" {
			at = "(root)"
		}
		if de.Topic != "shipments" || de.Pointer != c.ptr || !strings.Contains(err.Error(), `topic "shipments": at `+at+": cannot decode") {
			t.Errorf("Unmarshal(%s) = %q (pointer %q), want pointer %q", c.body, err, de.Pointer, c.ptr)
		}
		var ute *json.UnmarshalTypeError
		var pe *time.ParseError
		if !errors.As(err, &ute) && !errors.As(err, &pe) {
			t.Errorf("Unmarshal(%s): the decoding error %v is not in the chain", c.body, de.Err)
		}
	}
}
