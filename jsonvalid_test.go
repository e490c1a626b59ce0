package distributer

import (
	"encoding/json"
	"testing"
)

func FuzzValidJSON(f *testing.F) {
	for _, s := range []string{
		`{"a":1}`, `[1,2,{"b":null}]`, `"x\u0041"`, `1e5`, `-0.5`, "\"\x01\"", "\"\xff\"",
		`{"a":}`, `01`, `1.`, `[1,]`, ` true `, `"\ud800"`, ``, ` `, `{"a":1}{`, `nul`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := validJSON(b), json.Valid(b); got != want {
			t.Errorf("validJSON(%q) = %v, encoding/json.Valid says %v", b, got, want)
		}
	})
}

func BenchmarkValidJSON(b *testing.B) {
	body := []byte(`{"metadata":{"user_id":42,"datetime":1575446887339,"topic":"pose"},"data":{"translation":{"x":0.4873843491077423,"y":0.007090893795341253,"z":-1.1306129693984985},"rotation":{"x":-0.10888676356214629,"y":-0.26755994585035286,"z":-0.021271118915446748,"w":0.9571326384559261}}}`)
	b.Run("gjson", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			validJSON(body)
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			json.Valid(body)
		}
	})
}
