package gen

import (
	"bytes"
	"os"
	"reflect"
	"slices"
	"testing"

	"github.com/distributer/distributer"
)

// Every generated Conn embeds *distributer.Distributer, whose exported
// methods and fields are members of the Conn: distributerMethods must list
// exactly them, or a generated handle or method could hide one (a topic
// "close" would take conn.Close) without the generator noticing.
func TestDistributerMethodsInSync(t *testing.T) {
	typ := reflect.TypeOf((*distributer.Distributer)(nil))
	var got []string
	for m := range typ.Methods() {
		got = append(got, m.Name)
	}
	for f := range typ.Elem().Fields() {
		if f.IsExported() {
			got = append(got, f.Name)
		}
	}
	slices.Sort(got)
	want := slices.Sorted(slices.Values(distributerMethods))
	if !slices.Equal(got, want) {
		t.Errorf("the exported members of *distributer.Distributer are %v; gen's distributerMethods lists %v: update it", got, want)
	}
}

// A topic or family named like a member Conn inherits gets a handle with a
// suffix; other names are kept.
func TestHandleName(t *testing.T) {
	ns := newNamespace()
	for _, c := range []struct{ in, want string }{
		{"Close", "CloseTopic"}, {"URL", "URLTopic"}, {"Distributer", "DistributerTopic"},
		{"RawPose", "RawPose"}, {"RawPose", "RawPose2"}, {"Publisher", "Publisher"},
	} {
		if got := handleName(ns, c.in, "Topic"); got != c.want {
			t.Errorf("handleName(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	for in, want := range map[string]string{"RawSnapshot": "rawSnapshot", "URLPart": "urlPart", "ID": "id", "X": "x", "raw": "raw"} {
		if got := lowerName(in); got != want {
			t.Errorf("lowerName(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestCortexTopicsSize keeps the generated topics.go of the cortex example
// data and one-line methods (issue 12: at most half of the 483 lines it had
// when it carried the families' and fan-outs' logic).
func TestCortexTopicsSize(t *testing.T) {
	b, err := os.ReadFile("../examples/cortex/cortex/topics.go")
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(b, []byte("\n")); n > 483/2 {
		t.Errorf("examples/cortex/cortex/topics.go has %d lines, want at most %d: logic belongs in package typed", n, 483/2)
	}
}
