package orders

import (
	"os"
	"strings"
	"testing"

	"github.com/distributer/distributer/schema/compat"
)

// TestSchemasCompatibleWithRelease compares the schemas with the copy of
// the last released version checked in under testdata/released-schemas
// (refresh the copy when you release). It fails, listing each change with
// whom it breaks and a witness message, when the schemas changed in a way
// that breaks services still running the released version: in FULL mode,
// because producers and consumers of a shared broker upgrade in any order.
// In CI, `distgen breaking -schemas ../schemas -against origin/main` does
// the same against the main branch.
func TestSchemasCompatibleWithRelease(t *testing.T) {
	released, err := compat.Load(os.DirFS("testdata/released-schemas"))
	if err != nil {
		t.Fatal(err)
	}
	current, err := compat.Load(os.DirFS("../schemas"))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := compat.Compare(released, current, compat.Options{Mode: compat.Full})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Topics == 0 {
		t.Fatal("no topic compared")
	}
	if !rep.Compatible() {
		var b strings.Builder
		_ = rep.WriteText(&b)
		t.Errorf("the schemas break readers of the released version:\n%s", b.String())
	}
}
