package typed

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"
	"unsafe"

	"github.com/distributer/distributer/internal/jsonguard"
)

// The fastest path: the fnode tree checked straight on the message bytes,
// with no decoding and no allocation. It answers the same question as
// fnode.valid ("is this body certainly valid?") and gives up (false) even
// more readily: on any string with an escape or invalid UTF-8 whose content
// matters, enum or const values that are objects or arrays, asserted
// formats. When it gives up, the body is decoded and checked by fnode.valid,
// then jsonschema. FuzzScan checks it never accepts what jsonschema rejects,
// nor malformed JSON.

// scanBody reports whether body is one JSON value that is certainly valid
// against n.
func scanBody(n *fnode, body []byte) bool {
	i := skipSpace(body, 0)
	end, ok := scan(n, body, i, 0)
	if !ok {
		return false
	}
	return skipSpace(body, end) == len(body)
}

func skipSpace(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// scan checks the value at b[i] (no leading space) against n and returns the
// index after it. ok is false when the value is malformed, invalid, or the
// scan cannot be sure.
func scan(n *fnode, b []byte, i, depth int) (end int, ok bool) {
	if depth > maxFastDepth || i >= len(b) {
		return 0, false
	}
	if n != nil && n.merged != nil {
		n = n.merged
	}
	if n != nil && (n.unsure || n.never || n.format != nil || n.scanUnsure) {
		return 0, false
	}
	depth++
	start := i
	if n != nil && !n.own && (n.ref != nil || len(n.allOf) > 0 || len(n.anyOf) > 0) {
		return scanApplicators(n, b, start, -1, depth)
	}
	c := b[i]
	switch {
	case c == '{':
		if n != nil && n.types != 0 && n.types&tObject == 0 {
			return 0, false
		}
		if n != nil && (n.consts != nil || n.enum != nil) {
			return 0, false
		}
		end, ok = scanObject(n, b, i, depth)
	case c == '[':
		if n != nil && n.types != 0 && n.types&tArray == 0 {
			return 0, false
		}
		if n != nil && (n.consts != nil || n.enum != nil) {
			return 0, false
		}
		end, ok = scanArray(n, b, i, depth)
	case c == '"':
		var plain bool
		end, plain, ok = scanString(b, i)
		if !ok || n == nil {
			break
		}
		if n.types != 0 && n.types&tString == 0 {
			return 0, false
		}
		content := b[i+1 : end-1]
		needContent := n.consts != nil || n.enum != nil || n.minLen != -1 || n.maxLen != -1 || n.pattern != nil
		if needContent && !plain {
			return 0, false
		}
		if !scalarIn(n, borrow(content), true) {
			return 0, false
		}
		if n.minLen != -1 || n.maxLen != -1 {
			l := utf8.RuneCount(content)
			if (n.minLen != -1 && l < n.minLen) || (n.maxLen != -1 && l > n.maxLen) {
				return 0, false
			}
		}
		if n.pattern != nil && !n.pattern.Match(content) {
			return 0, false
		}
	case c == '-' || (c >= '0' && c <= '9'):
		end, ok = scanNumber(b, i)
		if !ok || n == nil {
			break
		}
		lit := borrow(b[i:end])
		if n.types != 0 && n.types&tNumber == 0 && (n.types&tInteger == 0 || !isIntLiteral(lit)) {
			return 0, false
		}
		if !scalarIn(n, lit, false) || !n.numberOK(json.Number(lit)) {
			return 0, false
		}
	case c == 't' || c == 'f' || c == 'n':
		lit := "null"
		bit := uint8(tNull)
		if c == 't' {
			lit, bit = "true", tBool
		} else if c == 'f' {
			lit, bit = "false", tBool
		}
		if !bytes.HasPrefix(b[i:], []byte(lit)) {
			return 0, false
		}
		end, ok = i+len(lit), true
		if n == nil {
			break
		}
		if n.types != 0 && n.types&bit == 0 {
			return 0, false
		}
		if n.consts != nil || n.enum != nil {
			var v any
			if c != 'n' {
				v = c == 't'
			}
			if n.consts != nil && !sureEqual(v, n.consts[0]) {
				return 0, false
			}
			if n.enum != nil && !inEnum(v, n.enum) {
				return 0, false
			}
		}
	default:
		return 0, false
	}
	if !ok || n == nil {
		return end, ok
	}
	return scanApplicators(n, b, start, end, depth)
}

// scanApplicators checks the value at b[start:end] against n's $ref, allOf
// and anyOf. end is -1 when the value has not been scanned yet: the first
// applicator finds it.
func scanApplicators(n *fnode, b []byte, start, end, depth int) (int, bool) {
	same := func(a *fnode) bool {
		e, ok := scan(a, b, start, depth)
		if !ok || (end != -1 && e != end) {
			return false
		}
		end = e
		return true
	}
	if n.ref != nil && !same(n.ref) {
		return 0, false
	}
	for _, a := range n.allOf {
		if !same(a) {
			return 0, false
		}
	}
	if n.anyOf != nil {
		matched := false
		for _, a := range n.anyOf {
			if same(a) {
				matched = true
				break
			}
		}
		if !matched {
			return 0, false
		}
	}
	return end, end != -1
}

// scalarIn checks a string's content or a number's literal against n's
// const and enum. Numbers compare by literal: 1 and 1.0 are left to
// jsonschema.
func scalarIn(n *fnode, s string, isString bool) bool {
	match := func(e any) bool {
		if isString {
			es, ok := e.(string)
			return ok && es == s
		}
		en, ok := e.(json.Number)
		return ok && string(en) == s
	}
	if n.consts != nil && !match(n.consts[0]) {
		return false
	}
	if n.enum != nil {
		for _, e := range n.enum {
			if match(e) {
				return true
			}
		}
		return false
	}
	return true
}

func inEnum(v any, enum []any) bool {
	for _, e := range enum {
		if sureEqual(v, e) {
			return true
		}
	}
	return false
}

func borrow(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

func scanObject(n *fnode, b []byte, i, depth int) (int, bool) {
	i++             // {
	var seen uint64 // bits of n.keys seen
	count := 0
	i = skipSpace(b, i)
	if i < len(b) && b[i] == '}' {
		return i + 1, n == nil || n.objectEnd(seen, count)
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return 0, false
		}
		kstart := i
		kend, plain, ok := scanString(b, i)
		if !ok {
			return 0, false
		}
		key := b[i+1 : kend-1]
		i = skipSpace(b, kend)
		if i >= len(b) || b[i] != ':' {
			return 0, false
		}
		i = skipSpace(b, i+1)
		var end int
		if n == nil {
			if end, ok = scan(nil, b, i, depth); !ok {
				return 0, false
			}
		} else {
			if !plain && (len(n.keys) > 0 || len(n.patProps) > 0 || n.addlFalse || n.addl != nil || n.propNames != nil) {
				return 0, false // cannot match an escaped key
			}
			k := borrow(key)
			count++
			evaluated := false
			if idx, ok := n.keys[k]; ok {
				seen |= 1 << idx
				if p := n.propAt[idx]; p != nil {
					evaluated = true
					if end, ok = scan(p, b, i, depth); !ok {
						return 0, false
					}
				}
			}
			for _, pp := range n.patProps {
				if pp.re.MatchString(k) {
					evaluated = true
					if end, ok = scan(pp.n, b, i, depth); !ok {
						return 0, false
					}
				}
			}
			if !evaluated {
				if n.addlFalse {
					return 0, false
				}
				if end, ok = scan(n.addl, b, i, depth); !ok {
					return 0, false
				}
			}
			if n.propNames != nil {
				if _, ok := scan(n.propNames, b, kstart, depth); !ok {
					return 0, false
				}
			}
		}
		i = skipSpace(b, end)
		if i >= len(b) {
			return 0, false
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case '}':
			return i + 1, n == nil || n.objectEnd(seen, count)
		default:
			return 0, false
		}
	}
}

// objectEnd checks required members and the member counts once an object is
// scanned. A repeated member counts twice in count, so minProperties is
// only trusted on the distinct declared members seen.
func (n *fnode) objectEnd(seen uint64, count int) bool {
	if n.required != nil && seen&n.requiredBits != n.requiredBits {
		return false
	}
	if n.maxProps != -1 && count > n.maxProps {
		return false
	}
	if n.minProps != -1 && bitsSet(seen) < n.minProps {
		return false
	}
	return true
}

func bitsSet(x uint64) int {
	c := 0
	for ; x != 0; x &= x - 1 {
		c++
	}
	return c
}

func scanArray(n *fnode, b []byte, i, depth int) (int, bool) {
	i++ // [
	count := 0
	i = skipSpace(b, i)
	if i < len(b) && b[i] == ']' {
		return i + 1, n == nil || n.arrayEnd(0)
	}
	for {
		var item *fnode
		if n != nil {
			if count < len(n.prefix) {
				item = n.prefix[count]
			} else {
				if n.restFalse {
					return 0, false
				}
				item = n.rest
			}
		}
		end, ok := scan(item, b, i, depth)
		if !ok {
			return 0, false
		}
		count++
		i = skipSpace(b, end)
		if i >= len(b) {
			return 0, false
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case ']':
			return i + 1, n == nil || n.arrayEnd(count)
		default:
			return 0, false
		}
	}
}

func (n *fnode) arrayEnd(count int) bool {
	return (n.minItems == -1 || count >= n.minItems) && (n.maxItems == -1 || count <= n.maxItems)
}

// scanString checks the string at b[i] ('"') and returns the index after
// it, and whether it is plain: no escapes, valid UTF-8, so that its bytes
// are its content.
func scanString(b []byte, i int) (end int, plain, ok bool) {
	i++
	plain = true
	for i < len(b) {
		c := b[i]
		switch {
		case c == '"':
			return i + 1, plain, true
		case c == '\\':
			plain = false
			if i+1 >= len(b) {
				return 0, false, false
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(b) {
					return 0, false, false
				}
				for _, h := range b[i+2 : i+6] {
					if !(h >= '0' && h <= '9' || h >= 'a' && h <= 'f' || h >= 'A' && h <= 'F') {
						return 0, false, false
					}
				}
				i += 6
			default:
				return 0, false, false
			}
		case c < 0x20:
			return 0, false, false
		case c < utf8.RuneSelf:
			i++
		default:
			r, size := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && size == 1 {
				plain = false
			}
			i += size
		}
	}
	return 0, false, false
}

// scanNumber checks the number at b[i] and returns the index after it. A
// number outside jsonguard's range is not ok: validate refuses it.
func scanNumber(b []byte, i int) (int, bool) {
	start := i
	digits := func() bool {
		s := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		return i > s
	}
	if b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		digits()
	default:
		return 0, false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if !digits() {
			return 0, false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if !digits() {
			return 0, false
		}
	}
	return i, jsonguard.NumberOK(borrow(b[start:i]))
}
