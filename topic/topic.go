// Package topic validates topics and patterns and matches them with AMQP
// topic-exchange semantics: words split on '.', '*' matches exactly one word,
// '#' matches zero or more words.
package topic

import (
	"errors"
	"fmt"
	"strings"
)

// Error reports an invalid topic or pattern.
type Error struct {
	Topic   string // the offending topic or pattern
	Pattern bool   // whether a pattern was expected
	Reason  string // what is wrong
}

// Error quotes the topic or pattern and says what is wrong with it.
func (e *Error) Error() string {
	kind := "topic"
	if e.Pattern {
		kind = "topic pattern"
	}
	return fmt.Sprintf("invalid %s %q: %s", kind, e.Topic, e.Reason)
}

// ErrInvalid is wrapped by every *Error.
var ErrInvalid = errors.New("invalid topic")

// Unwrap returns ErrInvalid.
func (e *Error) Unwrap() error { return ErrInvalid }

// MaxLen is the longest topic or pattern accepted, in bytes (AMQP's limit on
// routing keys).
const MaxLen = 255

// ValidateTopic checks that t is a literal topic: non-empty words separated
// by single dots, with no wildcard words.
func ValidateTopic(t string) error { return validate(t, false) }

// ValidatePattern checks that p is a topic or a pattern: like a topic, but a
// word may be '*' or '#'.
func ValidatePattern(p string) error { return validate(p, true) }

func validate(s string, pattern bool) error {
	bad := func(reason string) error { return &Error{Topic: s, Pattern: pattern, Reason: reason} }
	if s == "" {
		return bad("empty")
	}
	if len(s) > MaxLen {
		return bad(fmt.Sprintf("longer than %d bytes", MaxLen))
	}
	// One pass over the bytes: a word is checked when its '.' (or the end)
	// is reached; wild counts its wildcard bytes.
	start, wild := 0, 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) {
			switch c := s[i]; {
			case c == '.':
			case c == '*' || c == '#':
				wild++
				continue
			case c < 0x21 || c == 0x7f:
				return bad(fmt.Sprintf("control or space character at byte %d", i))
			default:
				continue
			}
		}
		w := s[start:i]
		if w == "" {
			return bad(fmt.Sprintf("empty word at byte %d", start))
		}
		if wild > 0 {
			if !pattern {
				return bad(fmt.Sprintf("wildcard %q in a literal topic", w))
			}
			if len(w) != 1 {
				return bad(fmt.Sprintf("word %q mixes a wildcard with other characters", w))
			}
		}
		start, wild = i+1, 0
	}
	return nil
}

// IsPattern reports whether p contains a wildcard word.
func IsPattern(p string) bool { return strings.ContainsAny(p, "*#") }

// Match reports whether the literal topic t matches pattern p.
func Match(p, t string) bool {
	return match(strings.Split(p, "."), strings.Split(t, "."))
}

func match(p, t []string) bool {
	for len(p) > 0 {
		switch p[0] {
		case "#":
			// '#' eats zero or more words: try every split.
			for i := 0; i <= len(t); i++ {
				if match(p[1:], t[i:]) {
					return true
				}
			}
			return false
		case "*":
			if len(t) == 0 {
				return false
			}
		default:
			if len(t) == 0 || t[0] != p[0] {
				return false
			}
		}
		p, t = p[1:], t[1:]
	}
	return len(t) == 0
}
