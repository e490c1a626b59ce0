package schema

import "testing"

func TestLineCol(t *testing.T) {
	data := []byte("{\n  \"a\": 1,\n\n  \"b\"\n}")
	for _, c := range []struct{ off, line, col int }{
		{0, 1, 1}, {1, 1, 2}, {2, 2, 1}, {4, 2, 3}, {12, 3, 1}, {13, 4, 1}, {15, 4, 3},
		{len(data), 5, 2}, {len(data) + 10, 5, 2}, {-3, 1, 1},
	} {
		if l, col := LineCol(data, c.off); l != c.line || col != c.col {
			t.Errorf("LineCol(%d) = %d:%d, want %d:%d", c.off, l, col, c.line, c.col)
		}
	}
}
