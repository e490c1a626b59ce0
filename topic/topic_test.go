package topic

import (
	"errors"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	for _, c := range []struct {
		s             string
		topic, pattrn bool
	}{
		{"user", true, true},
		{"raw.pose", true, true},
		{"raw.*", false, true},
		{"#", false, true},
		{"a.#.b", false, true},
		{"", false, false},
		{".a", false, false},
		{"a.", false, false},
		{"a..b", false, false},
		{"a*", false, false},
		{"a.b#", false, false},
		{"a b", false, false},
		{"**", false, false},
		{"a.*#", false, false},
		{"#.*.#", false, true},
		{strings.Repeat("a", MaxLen+1), false, false},
	} {
		if err := ValidateTopic(c.s); (err == nil) != c.topic {
			t.Errorf("ValidateTopic(%q) = %v, want ok=%v", c.s, err, c.topic)
		} else if err != nil && !errors.Is(err, ErrInvalid) {
			t.Errorf("ValidateTopic(%q) error %v does not wrap ErrInvalid", c.s, err)
		}
		if err := ValidatePattern(c.s); (err == nil) != c.pattrn {
			t.Errorf("ValidatePattern(%q) = %v, want ok=%v", c.s, err, c.pattrn)
		}
	}
}

func TestMatch(t *testing.T) {
	for _, c := range []struct {
		p, t string
		want bool
	}{
		{"user", "user", true},
		{"user", "users", false},
		{"raw.*", "raw.pose", true},
		{"raw.*", "raw", false},
		{"raw.*", "raw.pose.x", false},
		{"*.pose", "parsed.pose", true},
		{"#", "user", true},
		{"#", "a.b.c", true},
		{"raw.#", "raw", true},
		{"raw.#", "raw.a.b", true},
		{"#.pose", "pose", true},
		{"#.pose", "a.b.pose", true},
		{"#.pose", "a.b.posex", false},
		{"a.#.z", "a.z", true},
		{"a.#.z", "a.b.c.z", true},
		{"a.#.z", "a.b.c", false},
		{"*.*", "a", false},
		{"#.*", "a", true},
	} {
		if got := Match(c.p, c.t); got != c.want {
			t.Errorf("Match(%q, %q) = %v, want %v", c.p, c.t, got, c.want)
		}
	}
}

func BenchmarkValidateTopic(b *testing.B) {
	for b.Loop() {
		if err := ValidateTopic("parsed.color_image"); err != nil {
			b.Fatal(err)
		}
	}
}
