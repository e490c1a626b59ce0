package gen

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestWrapDoc(t *testing.T) {
	long := "Image: A raw image of a snapshot. The pixels are not inlined: data is the path of a file in a directory shared by the services."
	got := wrapDoc(long)
	if len(got) < 2 || strings.Join(got, " ") != long {
		t.Fatalf("wrapDoc lost or kept text: %q", got)
	}
	for _, l := range got {
		if utf8.RuneCountInString(l) > docWidth {
			t.Errorf("line longer than %d: %q", docWidth, l)
		}
	}
	// Short, indented (list item, code) and unbreakable lines stay whole.
	for _, l := range []string{"Short.", "  - " + long, "\t" + long, strings.Repeat("x", 100)} {
		if got := wrapDoc(l); len(got) != 1 || got[0] != l {
			t.Errorf("wrapDoc(%q) = %q, want it unchanged", l, got)
		}
	}
	// No continuation line starts like a list item or a link definition.
	for i := 0; i < 6*10; i++ {
		marker := []string{"-", "+", "*", "1.", "12)", "[x]:"}[i%6]
		// The marker falls at or around the break.
		l := strings.Repeat("word ", 12) + strings.Repeat("a", 8+i/6) + " " + marker + " rest of the sentence goes on here."
		got := wrapDoc(l)
		if strings.Join(got, " ") != l {
			t.Fatalf("wrapDoc lost text: %q", got)
		}
		for _, c := range got[1:] {
			if docMarker(strings.Fields(c)[0]) {
				t.Errorf("continuation line starts with a marker: %q", got)
			}
		}
	}
}
