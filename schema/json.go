package schema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// Kind is the JSON type of a Node.
type Kind uint8

// The kinds of JSON values.
const (
	Null Kind = iota
	Boolean
	Number
	String
	Array
	Object
)

// String returns the JSON name of the Kind ("object", "boolean", ...).
func (k Kind) String() string {
	return [...]string{"null", "boolean", "number", "string", "array", "object"}[k]
}

// Node is a parsed JSON value that keeps object member order and byte
// offsets, so that code generated from a schema follows its order and errors
// can say line:column. Nodes are read-only once parsed.
type Node struct {
	Kind  Kind
	Start int // byte offset of the value's first byte
	End   int // byte offset after its last byte
	Raw   []byte
	Bool  bool
	Str   string   // string value, or number literal
	Arr   []*Node  // array elements
	Keys  []string // object keys in document order
	Vals  []*Node  // object values, parallel to keys
	index map[string]int
}

// Get returns the member named k of an object node, or nil.
func (n *Node) Get(k string) *Node {
	if n == nil || n.Kind != Object {
		return nil
	}
	if i, ok := n.index[k]; ok {
		return n.Vals[i]
	}
	return nil
}

// Value returns the node as a plain Go value (json.Number for numbers):
// a new value on every call.
func (n *Node) Value() any {
	switch n.Kind {
	case Boolean:
		return n.Bool
	case Number:
		return json.Number(n.Str)
	case String:
		return n.Str
	case Array:
		out := make([]any, len(n.Arr))
		for i, e := range n.Arr {
			out[i] = e.Value()
		}
		return out
	case Object:
		out := make(map[string]any, len(n.Keys))
		for i, k := range n.Keys {
			out[k] = n.Vals[i].Value()
		}
		return out
	}
	return nil
}

// SyntaxError is a JSON syntax error at a byte offset.
type SyntaxError struct {
	Offset int    // byte offset of the error
	Msg    string // what is wrong
}

// Error returns Msg.
func (e *SyntaxError) Error() string { return e.Msg }

type jsonParser struct {
	data  []byte
	pos   int
	depth int
}

const maxDepth = 200

// Parse parses data, one JSON value, into a Node tree. Duplicate object
// keys are an error. The error is a *SyntaxError.
func Parse(data []byte) (*Node, error) {
	p := &jsonParser{data: data}
	p.ws()
	n, err := p.value()
	if err != nil {
		return nil, err
	}
	p.ws()
	if p.pos != len(p.data) {
		return nil, p.errf("unexpected %s after the top-level value", p.what())
	}
	return n, nil
}

func (p *jsonParser) errf(format string, args ...any) error {
	return &SyntaxError{Offset: p.pos, Msg: fmt.Sprintf(format, args...)}
}

func (p *jsonParser) what() string {
	if p.pos >= len(p.data) {
		return "end of input"
	}
	r, _ := utf8.DecodeRune(p.data[p.pos:])
	return strconv.QuoteRune(r)
}

func (p *jsonParser) ws() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *jsonParser) value() (*Node, error) {
	if p.pos >= len(p.data) {
		return nil, p.errf("unexpected end of input, expected a value")
	}
	start := p.pos
	var n *Node
	var err error
	switch c := p.data[p.pos]; {
	case c == '{':
		n, err = p.object()
	case c == '[':
		n, err = p.array()
	case c == '"':
		var s string
		s, err = p.string()
		n = &Node{Kind: String, Str: s}
	case c == 't':
		err = p.lit("true")
		n = &Node{Kind: Boolean, Bool: true}
	case c == 'f':
		err = p.lit("false")
		n = &Node{Kind: Boolean}
	case c == 'n':
		err = p.lit("null")
		n = &Node{Kind: Null}
	case c == '-' || (c >= '0' && c <= '9'):
		n, err = p.number()
	default:
		return nil, p.errf("unexpected %s, expected a value", p.what())
	}
	if err != nil {
		return nil, err
	}
	n.Start, n.End = start, p.pos
	n.Raw = p.data[start:p.pos]
	return n, nil
}

func (p *jsonParser) lit(s string) error {
	if len(p.data)-p.pos < len(s) || string(p.data[p.pos:p.pos+len(s)]) != s {
		return p.errf("invalid literal, expected %q", s)
	}
	p.pos += len(s)
	return nil
}

func (p *jsonParser) number() (*Node, error) {
	start := p.pos
	if p.data[p.pos] == '-' {
		p.pos++
	}
	digits := func() int {
		n := 0
		for p.pos < len(p.data) && p.data[p.pos] >= '0' && p.data[p.pos] <= '9' {
			p.pos++
			n++
		}
		return n
	}
	if p.pos < len(p.data) && p.data[p.pos] == '0' {
		p.pos++
	} else if digits() == 0 {
		return nil, p.errf("invalid number: expected a digit, got %s", p.what())
	}
	if p.pos < len(p.data) && p.data[p.pos] == '.' {
		p.pos++
		if digits() == 0 {
			return nil, p.errf("invalid number: expected a digit after '.', got %s", p.what())
		}
	}
	if p.pos < len(p.data) && (p.data[p.pos] == 'e' || p.data[p.pos] == 'E') {
		p.pos++
		if p.pos < len(p.data) && (p.data[p.pos] == '+' || p.data[p.pos] == '-') {
			p.pos++
		}
		if digits() == 0 {
			return nil, p.errf("invalid number: expected an exponent digit, got %s", p.what())
		}
	}
	return &Node{Kind: Number, Str: string(p.data[start:p.pos])}, nil
}

func (p *jsonParser) string() (string, error) {
	start := p.pos
	p.pos++ // opening quote
	escaped := false
	for {
		if p.pos >= len(p.data) {
			return "", &SyntaxError{Offset: start, Msg: "unterminated string"}
		}
		c := p.data[p.pos]
		switch {
		case c == '"':
			p.pos++
			lit := p.data[start:p.pos]
			if !escaped {
				if !utf8.Valid(lit) {
					return "", &SyntaxError{Offset: start, Msg: "string is not valid UTF-8"}
				}
				return string(lit[1 : len(lit)-1]), nil
			}
			var s string
			if err := json.Unmarshal(lit, &s); err != nil {
				return "", &SyntaxError{Offset: start, Msg: "invalid string escape"}
			}
			return s, nil
		case c == '\\':
			escaped = true
			p.pos += 2
		case c < 0x20:
			return "", p.errf("invalid control character in string")
		default:
			p.pos++
		}
	}
}

func (p *jsonParser) array() (*Node, error) {
	p.depth++
	if p.depth > maxDepth {
		return nil, p.errf("nesting deeper than %d levels", maxDepth)
	}
	defer func() { p.depth-- }()
	n := &Node{Kind: Array}
	p.pos++
	p.ws()
	if p.pos < len(p.data) && p.data[p.pos] == ']' {
		p.pos++
		return n, nil
	}
	for {
		p.ws()
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		n.Arr = append(n.Arr, v)
		p.ws()
		if p.pos >= len(p.data) {
			return nil, p.errf("unexpected end of input in array, expected ',' or ']'")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case ']':
			p.pos++
			return n, nil
		default:
			return nil, p.errf("unexpected %s in array, expected ',' or ']'", p.what())
		}
	}
}

func (p *jsonParser) object() (*Node, error) {
	p.depth++
	if p.depth > maxDepth {
		return nil, p.errf("nesting deeper than %d levels", maxDepth)
	}
	defer func() { p.depth-- }()
	n := &Node{Kind: Object, index: map[string]int{}}
	p.pos++
	p.ws()
	if p.pos < len(p.data) && p.data[p.pos] == '}' {
		p.pos++
		return n, nil
	}
	for {
		p.ws()
		if p.pos >= len(p.data) || p.data[p.pos] != '"' {
			return nil, p.errf("unexpected %s in object, expected a member name in double quotes", p.what())
		}
		kstart := p.pos
		k, err := p.string()
		if err != nil {
			return nil, err
		}
		if _, dup := n.index[k]; dup {
			return nil, &SyntaxError{Offset: kstart, Msg: fmt.Sprintf("duplicate member name %q", k)}
		}
		p.ws()
		if p.pos >= len(p.data) || p.data[p.pos] != ':' {
			return nil, p.errf("unexpected %s after member name, expected ':'", p.what())
		}
		p.pos++
		p.ws()
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		n.index[k] = len(n.Keys)
		n.Keys = append(n.Keys, k)
		n.Vals = append(n.Vals, v)
		p.ws()
		if p.pos >= len(p.data) {
			return nil, p.errf("unexpected end of input in object, expected ',' or '}'")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case '}':
			p.pos++
			return n, nil
		default:
			return nil, p.errf("unexpected %s in object, expected ',' or '}'", p.what())
		}
	}
}

// Lookup resolves a JSON pointer ("" or "/a/0") in n; nil when nothing is
// there.
func (n *Node) Lookup(ptr string) *Node {
	if ptr == "" {
		return n
	}
	if ptr[0] != '/' {
		return nil
	}
	cur := n
	for _, tok := range SplitPointer(ptr) {
		switch {
		case cur == nil:
			return nil
		case cur.Kind == Object:
			cur = cur.Get(tok)
		case cur.Kind == Array:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(cur.Arr) || strconv.Itoa(i) != tok {
				return nil
			}
			cur = cur.Arr[i]
		default:
			return nil
		}
	}
	return cur
}

// LineCol returns the 1-based line and column of byte offset off in data.
// Columns count bytes. An offset past the end is taken as the end.
func LineCol(data []byte, off int) (line, col int) {
	off = max(0, min(off, len(data)))
	line = 1 + bytes.Count(data[:off], []byte{'\n'})
	col = off - bytes.LastIndexByte(data[:off], '\n')
	return line, col
}
