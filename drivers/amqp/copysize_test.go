package amqp

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"
	_ "unsafe" // go:linkname

	amqp091 "github.com/rabbitmq/amqp091-go"
)

// amqp091WriteTable is amqp091-go's own field-table encoder: tableSize must
// agree with it octet for octet. The build breaks if amqp091-go renames it.
//
//go:linkname amqp091WriteTable github.com/rabbitmq/amqp091-go.writeTable
func amqp091WriteTable(w io.Writer, table amqp091.Table) error

func TestTableSizeMatchesEncoder(t *testing.T) {
	tables := []amqp091.Table{
		{},
		{"a": "b"},
		{"bool": true, "byte": byte(7), "i8": int8(-1), "i16": int16(3), "u16": uint16(3), "int": 5,
			"i32": int32(6), "u32": uint32(7), "i64": int64(8), "f32": float32(1.5), "f64": 2.5,
			"dec": amqp091.Decimal{Scale: 2, Value: 1234}, "bytes": []byte("xyz"), "nil": nil,
			"time": time.Unix(1700000000, 0)},
		{"nested": amqp091.Table{"x": []any{"a", int32(1), amqp091.Table{"y": "z"}, []any{}}}},
		{"long": strings.Repeat("v", 70000), strings.Repeat("k", 255): "w"},
	}
	for i, tb := range tables {
		var buf bytes.Buffer
		if err := amqp091WriteTable(&buf, tb); err != nil {
			t.Fatalf("table %d: %v", i, err)
		}
		if got := tableSize(tb); got != buf.Len() {
			t.Errorf("table %d: tableSize %d, amqp091-go writes %d octets", i, got, buf.Len())
		}
	}
}
