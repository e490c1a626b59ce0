package typed

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/distributer/distributer"
)

// reference decodes like decodeExact with encoding/json.
func reference(body []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the value")
	}
	return v, nil
}

var decodeSeeds = []string{
	`{"metadata": {"user_id": 42, "datetime": 1575446887339, "topic": "pose"}, "data": {"x": -1.5e-3}}`,
	`[1, 2.5, -0, 0.0, 1E+2, 1e-2, 18446744073709551616, true, false, null, "", {}, []]`,
	`"a\"b\\c\/d\b\f\n\r\t\u00e9\ud83d\ude00\ud83d\u0041\udc00x"`,
	"\"\xff\xfe bad utf8 \xc3\"", `"\u12"`, `"\x"`, `01`, `-`, `1.`, `1e`, `.5`, `+1`,
	`{"a":1,"a":2}`, `{"a" 1}`, `{"a":1,}`, `[1,]`, `[1 2]`, `{1:2}`, ` true `, `tru`, `nul`,
	`{} {}`, ``, `   `, "\"tab\there\"", `[[[[]]]]`, `{"k":[{"k":[{}]}]}`,
	strings.Repeat("[", 10001) + strings.Repeat("]", 10001),
}

func TestDecodeExactMatchesEncodingJSON(t *testing.T) {
	for _, s := range decodeSeeds {
		checkDecode(t, []byte(s))
	}
}

func FuzzDecodeExact(f *testing.F) {
	for _, s := range decodeSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(checkDecode)
}

func checkDecode(t *testing.T, b []byte) {
	got, err := decodeExact(b)
	if serr := checkSyntax(b); (serr == nil) != (err == nil) || (err != nil && serr.Error() != err.Error()) {
		t.Fatalf("checkSyntax(%q) = %v, decodeExact: %v", b, serr, err)
	}
	if err == nil {
		if start := skipSpace(b, 0); skipSpace(b, skipValue(b, start)) != len(b) {
			t.Fatalf("skipValue(%q) = %d, want the end of the value", b, skipValue(b, start))
		}
	}
	want, werr := reference(b)
	if (err == nil) != (werr == nil) {
		t.Fatalf("decodeExact(%q): err %v, encoding/json err %v", b, err, werr)
	}
	if err != nil {
		if !errors.Is(err, distributer.ErrInvalidJSON) {
			t.Fatalf("decodeExact(%q): error %v does not wrap ErrInvalidJSON", b, err)
		}
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("decodeExact(%q) = %#v, encoding/json %#v", b, got, want)
	}
}

var benchBody = []byte(`{"metadata": {"user_id": 42, "datetime": 1575446887339, "topic": "pose"}, "data": {"translation": {"x": 0.4873843491077423, "y": 0.007090016733855009, "z": -1.1306129693984985}, "rotation": {"x": -0.10888676356214629, "y": -0.26755994585035286, "z": -0.021271118915446748, "w": 0.9571326384559261}}}`)

func BenchmarkDecodeExact(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeExact(benchBody); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeEncodingJSONUseNumber(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := reference(benchBody); err != nil {
			b.Fatal(err)
		}
	}
}
