package gen

import (
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// kind is the JSON type of a node.
type kind uint8

const (
	kNull kind = iota
	kBool
	kNumber
	kString
	kArray
	kObject
)

func (k kind) String() string {
	return [...]string{"null", "boolean", "number", "string", "array", "object"}[k]
}

// node is a parsed JSON value that keeps object member order and byte
// offsets, so that generated code follows schema order and errors can say
// line:column.
type node struct {
	Kind  kind
	Start int // byte offset of the value's first byte
	End   int // byte offset after its last byte
	Raw   []byte
	Bool  bool
	Str   string   // string value, or number literal
	Arr   []*node  // array elements
	Keys  []string // object keys in document order
	Vals  []*node  // object values, parallel to keys
	index map[string]int
}

// get returns the member named k of an object node, or nil.
func (n *node) Get(k string) *node {
	if n == nil || n.Kind != kObject {
		return nil
	}
	if i, ok := n.index[k]; ok {
		return n.Vals[i]
	}
	return nil
}

// value returns the node as a plain Go value (json.Number for numbers).
func (n *node) Value() any {
	switch n.Kind {
	case kBool:
		return n.Bool
	case kNumber:
		return json.Number(n.Str)
	case kString:
		return n.Str
	case kArray:
		out := make([]any, len(n.Arr))
		for i, e := range n.Arr {
			out[i] = e.Value()
		}
		return out
	case kObject:
		out := make(map[string]any, len(n.Keys))
		for i, k := range n.Keys {
			out[k] = n.Vals[i].Value()
		}
		return out
	}
	return nil
}

// syntaxError is a JSON syntax error at a byte offset.
type syntaxError struct {
	off int
	msg string
}

func (e *syntaxError) Error() string { return e.msg }

type jsonParser struct {
	data  []byte
	pos   int
	depth int
}

const maxDepth = 200

// parseJSON parses data into a node tree. Duplicate object keys are an error.
func parseJSON(data []byte) (*node, error) {
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
	return &syntaxError{off: p.pos, msg: fmt.Sprintf(format, args...)}
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

func (p *jsonParser) value() (*node, error) {
	if p.pos >= len(p.data) {
		return nil, p.errf("unexpected end of input, expected a value")
	}
	start := p.pos
	var n *node
	var err error
	switch c := p.data[p.pos]; {
	case c == '{':
		n, err = p.object()
	case c == '[':
		n, err = p.array()
	case c == '"':
		var s string
		s, err = p.string()
		n = &node{Kind: kString, Str: s}
	case c == 't':
		err = p.lit("true")
		n = &node{Kind: kBool, Bool: true}
	case c == 'f':
		err = p.lit("false")
		n = &node{Kind: kBool}
	case c == 'n':
		err = p.lit("null")
		n = &node{Kind: kNull}
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

func (p *jsonParser) number() (*node, error) {
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
	return &node{Kind: kNumber, Str: string(p.data[start:p.pos])}, nil
}

func (p *jsonParser) string() (string, error) {
	start := p.pos
	p.pos++ // opening quote
	escaped := false
	for {
		if p.pos >= len(p.data) {
			return "", &syntaxError{off: start, msg: "unterminated string"}
		}
		c := p.data[p.pos]
		switch {
		case c == '"':
			p.pos++
			lit := p.data[start:p.pos]
			if !escaped {
				if !utf8.Valid(lit) {
					return "", &syntaxError{off: start, msg: "string is not valid UTF-8"}
				}
				return string(lit[1 : len(lit)-1]), nil
			}
			var s string
			if err := json.Unmarshal(lit, &s); err != nil {
				return "", &syntaxError{off: start, msg: "invalid string escape"}
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

func (p *jsonParser) array() (*node, error) {
	p.depth++
	if p.depth > maxDepth {
		return nil, p.errf("nesting deeper than %d levels", maxDepth)
	}
	defer func() { p.depth-- }()
	n := &node{Kind: kArray}
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

func (p *jsonParser) object() (*node, error) {
	p.depth++
	if p.depth > maxDepth {
		return nil, p.errf("nesting deeper than %d levels", maxDepth)
	}
	defer func() { p.depth-- }()
	n := &node{Kind: kObject, index: map[string]int{}}
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
			return nil, &syntaxError{off: kstart, msg: fmt.Sprintf("duplicate member name %q", k)}
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

// lookup resolves a JSON pointer ("" or "/a/0") in n.
func (n *node) Lookup(ptr string) *node {
	if ptr == "" {
		return n
	}
	if ptr[0] != '/' {
		return nil
	}
	cur := n
	for _, tok := range splitPointer(ptr) {
		switch {
		case cur == nil:
			return nil
		case cur.Kind == kObject:
			cur = cur.Get(tok)
		case cur.Kind == kArray:
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
