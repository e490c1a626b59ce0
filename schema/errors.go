package schema

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors: every *Error of a schema set wraps exactly one of them
// (other packages, such as the generator, make *Error values with sentinels
// of their own). Test with errors.Is.
var (
	// ErrSyntax: a file is not valid JSON.
	ErrSyntax = errors.New("invalid JSON")
	// ErrSchema: a schema violates its draft's meta-schema, cannot be
	// compiled, names an unsupported $schema, or declares an $id that
	// another schema declares too.
	ErrSchema = errors.New("invalid schema")
	// ErrRef: a $ref does not resolve to a schema of the set.
	ErrRef = errors.New("unresolved $ref")
	// ErrRemoteRef: a reference points outside the set (http, https, ...).
	// Remote schemas are never fetched.
	ErrRemoteRef = errors.New("remote $ref refused")
	// ErrOutsideDir: a file of the schema directory is a symbolic link whose
	// target lies outside the directory. Such files are never read.
	ErrOutsideDir = errors.New("symbolic link leads outside the schema directory")
)

// Error is a problem in a schema set, with its location.
type Error struct {
	Kind    error  // the sentinel error it wraps
	File    string // slash-separated path in the schema set ("" when not about one file)
	Line    int    // 1-based; 0 when unknown
	Column  int    // 1-based byte column; 0 when unknown
	Pointer string // JSON pointer in File of the offending value ("" = the whole document)
	Msg     string // what is wrong
	Hint    string // what to do about it
	Err     error  // the underlying error, when there is one (a number out of range wraps jsonguard's)
}

// Error formats e as "file:line:column: at pointer: message (hint)", leaving
// out the parts that are unknown.
func (e *Error) Error() string {
	var b strings.Builder
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

// Unwrap returns Kind, and Err when set.
func (e *Error) Unwrap() []error {
	if e.Err != nil {
		return []error{e.Kind, e.Err}
	}
	return []error{e.Kind}
}

// ErrorList is several *Error, in the order they were found (by file, then
// position).
type ErrorList []*Error

// Error joins the messages of the first ten errors, one a line.
func (l ErrorList) Error() string {
	var parts []string
	for i, e := range l {
		if i == 10 {
			parts = append(parts, fmt.Sprintf("... and %d more errors", len(l)-10))
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

// EscapeToken escapes one JSON pointer token ("a/b" -> "a~1b").
func EscapeToken(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// SplitPointer splits a JSON pointer into its unescaped tokens; "" has none.
func SplitPointer(ptr string) []string {
	if ptr == "" {
		return nil
	}
	toks := strings.Split(ptr[1:], "/")
	for i, t := range toks {
		toks[i] = strings.ReplaceAll(strings.ReplaceAll(t, "~1", "/"), "~0", "~")
	}
	return toks
}
