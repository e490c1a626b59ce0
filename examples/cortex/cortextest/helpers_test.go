package cortextest

import (
	"errors"
	"testing"
)

func errAs(err error, target any) bool { return err != nil && errors.As(err, target) }

// sameJSON must catch what matters on the wire.
func TestSameJSONIsStrict(t *testing.T) {
	for _, c := range []struct{ want, got string }{
		{`{"a": 42}`, `{"a": 42.0}`},
		{`{"a": 42}`, `{"a": "42"}`},
		{`{"a": 1}`, `{"a": 1, "b": 2}`},
		{`{"a": {"b": 1}}`, `{"a": {}}`},
		{`{"a": [1, 2]}`, `{"a": [2, 1]}`},
		{`{"a": null}`, `{}`},
	} {
		if sameJSON([]byte(c.want), []byte(c.got)) == nil {
			t.Errorf("%s and %s called the same", c.want, c.got)
		}
	}
	if err := sameJSON([]byte(`{"a": [1, {"b": "x"}], "c": -0.5}`), []byte(`{"c":-0.5,"a":[1,{"b":"x"}]}`)); err != nil {
		t.Error(err)
	}
}
