package gen

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors: every *Error wraps exactly one of them. Test with errors.Is.
var (
	// ErrSyntax: a file is not valid JSON.
	ErrSyntax = errors.New("invalid JSON")
	// ErrSchema: a schema violates its draft's meta-schema or cannot be
	// compiled.
	ErrSchema = errors.New("invalid schema")
	// ErrRef: a $ref does not resolve to a schema of the set.
	ErrRef = errors.New("unresolved $ref")
	// ErrRemoteRef: a $ref points outside the set (http, https, ...).
	// Remote schemas are never fetched.
	ErrRemoteRef = errors.New("remote $ref refused")
	// ErrUnsupported: a construct distgen cannot map to Go.
	ErrUnsupported = errors.New("unsupported construct")
	// ErrCollision: two declarations want the same Go or topic name.
	ErrCollision = errors.New("name collision")
	// ErrManifest: the topic declarations (distgen.json) are invalid.
	ErrManifest = errors.New("invalid topic declarations")
)

// Error is a problem in a schema set, with its location.
type Error struct {
	Kind    error  // one of the sentinel errors above
	File    string // slash-separated path in the schema set ("" when not about one file)
	Line    int    // 1-based; 0 when unknown
	Column  int    // 1-based byte column; 0 when unknown
	Pointer string // JSON pointer in File of the offending value ("" = the whole document)
	Msg     string // what is wrong
	Hint    string // what to do about it
}

// Error formats e as "distgen: file:line:column: at pointer: message (hint)",
// leaving out the parts that are unknown.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("distgen: ")
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d:%d", e.Line, e.Column)
		}
		b.WriteString(": ")
	}
	if e.File != "" && (e.Pointer != "" || e.Kind != ErrSyntax) {
		p := e.Pointer
		if p == "" {
			p = "(root)"
		}
		fmt.Fprintf(&b, "at %s: ", p)
	}
	b.WriteString(e.Msg)
	if e.Hint != "" {
		b.WriteString(" (")
		b.WriteString(e.Hint)
		b.WriteString(")")
	}
	return b.String()
}

// Unwrap returns Kind.
func (e *Error) Unwrap() error { return e.Kind }

// ErrorList is several *Error, sorted by file and position.
type ErrorList []*Error

// Error joins the messages of the first ten errors, one a line.
func (l ErrorList) Error() string {
	var parts []string
	for i, e := range l {
		if i == 10 {
			parts = append(parts, fmt.Sprintf("distgen: ... and %d more errors", len(l)-10))
			break
		}
		parts = append(parts, e.Error())
	}
	return strings.Join(parts, "\n")
}

// Unwrap returns the errors.
func (l ErrorList) Unwrap() []error {
	out := make([]error, len(l))
	for i, e := range l {
		out[i] = e
	}
	return out
}

// escapePointer escapes one JSON pointer token.
func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

func splitPointer(ptr string) []string {
	if ptr == "" {
		return nil
	}
	toks := strings.Split(ptr[1:], "/")
	for i, t := range toks {
		toks[i] = strings.ReplaceAll(strings.ReplaceAll(t, "~1", "/"), "~0", "~")
	}
	return toks
}
