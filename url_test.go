package distributer

import (
	"context"
	"testing"
)

func TestURLKeepsSchemeSlashes(t *testing.T) {
	for _, raw := range []string{"memory://", "memory://bus-a", "memory://?buffer=8"} {
		d, err := Open(context.Background(), raw)
		if err != nil {
			t.Fatalf("Open(%q): %v", raw, err)
		}
		if got := d.URL(); got != raw {
			t.Errorf("Open(%q).URL() = %q", raw, got)
		}
		d.Close()
	}
}
