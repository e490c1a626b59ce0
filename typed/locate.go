package typed

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/distributer/distributer/internal/jsonguard"
	"github.com/distributer/distributer/schema"
)

// Validation of large bodies. jsonschema/v5 allocates, for every object and
// array it checks, a map with an entry per member or item, and builds a
// located error for every failing value: an invalid 30 MB array of 15
// million items cost 39 s and 2.5 GB, and decoding alone takes about 30
// bytes per body byte. A body larger than detailLimit that the fast path
// did not accept is therefore never decoded whole: its syntax and numbers
// are checked without allocating, then locate walks its bytes along the
// fnode tree, checks each member or item with the fast path's scan, and
// decodes and gives to jsonschema only the values the scan cannot decide
// (scalars, and the subtrees of keywords it does not decide: oneOf, not,
// if, enum of objects, ...). It stops after maxCauses causes. Its verdict
// is jsonschema's (FuzzLocate); its causes are jsonschema's first ones in
// document order.

// detailLimit is the body size up to which jsonschema checks an invalid
// body whole and reports every cause.
const detailLimit = 64 << 10

// maxCauses bounds the causes reported for a body over detailLimit.
const maxCauses = 100

// locator collects the causes of one large body.
type locator struct {
	causes []Cause
	err    error // a failure of jsonschema other than a validation error
}

func (l *locator) full() bool { return len(l.causes) >= maxCauses || l.err != nil }

// add records a cause of our own, worded as jsonschema words it.
func (l *locator) add(n *fnode, ptr, kw, keyword, format string, args ...any) {
	abs := keyword
	if n.js != nil && n.js.Location != "" {
		abs = n.js.Location + "/" + keyword
	}
	l.causes = append(l.causes, Cause{
		InstanceLocation:        ptr,
		KeywordLocation:         kw + "/" + keyword,
		AbsoluteKeywordLocation: strings.ReplaceAll(abs, schema.BaseURL, ""),
		Keyword:                 keyword,
		Message:                 fmt.Sprintf(format, args...),
	})
}

// js validates v, at ptr, with n's jsonschema schema, reached by the
// keyword path kw, and records its causes, located in the whole body.
func (l *locator) js(n *fnode, v any, ptr, kw string) bool {
	if n.js == nil {
		l.err = errors.New("typed: internal error: no schema to validate with")
		return false
	}
	err := jsonguard.Validate(n.js, v)
	if err == nil {
		return true
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		l.err = err
		return false
	}
	for _, c := range leaves(ve, nil) {
		if l.full() {
			break
		}
		c.InstanceLocation = ptr + c.InstanceLocation
		c.KeywordLocation = kw + c.KeywordLocation
		c.Keyword = keyword(c.KeywordLocation)
		l.causes = append(l.causes, c)
	}
	return false
}

// descendable reports whether locate may check the container value at
// b[i] against n piecewise: every keyword of n is one that locate decides
// exactly for an object or an array, or an applicator it follows.
func (n *fnode) descendable(b []byte, i int) bool {
	if c := b[i]; c != '{' && c != '[' {
		return false
	}
	return n.js != nil && !n.unsure && !n.never && n.consts == nil && n.enum == nil && n.anyOf == nil && n.format == nil
}

// sure reports whether the value at b[start:end] is certainly valid
// against n: the scan of the fast path, without allocating.
func sure(n *fnode, b []byte, start, end int) bool {
	if n == nil {
		return true
	}
	e, ok := scan(n, b, start, 0)
	return ok && e == end
}

// locate checks the value at b[start:end] (at ptr; kw is the keyword path
// that reached n) against n and records why it is invalid. It returns
// whether the value is valid. b is well-formed JSON, its numbers in range.
// The caller has found that sure(n, ...) is false.
func (l *locator) locate(n *fnode, b []byte, start, end int, ptr, kw string, depth int) bool {
	if n == nil || l.full() {
		return n == nil
	}
	if depth > maxFastDepth || !n.descendable(b, start) {
		v, err := decodeExact(b[start:end])
		if err != nil {
			l.err = err
			return false
		}
		return n.valid(v, 0) || l.js(n, v, ptr, kw)
	}
	depth++
	isObject := b[start] == '{'
	if n.types != 0 && !(isObject && n.types&tObject != 0 || !isObject && n.types&tArray != 0) {
		// jsonschema checks nothing else of a value of the wrong type.
		got := "array"
		if isObject {
			got = "object"
		}
		l.add(n, ptr, kw, "type", "expected %s, but got %s", strings.Join(n.js.Types, " or "), got)
		return false
	}
	ok := true
	switch {
	case !n.own: // only $ref and allOf
	case isObject:
		ok = l.object(n, b, start, ptr, kw, depth)
	default:
		ok = l.array(n, b, start, ptr, kw, depth)
	}
	if n.ref != nil && !sure(n.ref, b, start, end) && !l.locate(n.ref, b, start, end, ptr, kw+"/$ref", depth) {
		ok = false
	}
	for i, a := range n.allOf {
		if !sure(a, b, start, end) && !l.locate(a, b, start, end, ptr, kw+"/allOf/"+strconv.Itoa(i), depth) {
			ok = false
		}
	}
	return ok
}

// member is one member of an object: its key, and where its value is.
type member struct {
	key        string
	start, end int
}

// members returns the members of the object at b[i], the last of each key
// only (as decoding keeps it), in document order.
func members(b []byte, i int) ([]member, error) {
	var all []member
	i = skipSpace(b, i+1)
	for b[i] != '}' {
		kend, plain, _ := scanString(b, i)
		key := borrow(b[i+1 : kend-1])
		if !plain {
			p := parser{b: b, i: i}
			var err error
			if key, err = p.str(); err != nil {
				return nil, err
			}
		}
		i = skipSpace(b, skipSpace(b, kend)+1) // the ':'
		end := skipValue(b, i)
		all = append(all, member{key, i, end})
		i = skipSpace(b, end)
		if b[i] == ',' {
			i = skipSpace(b, i+1)
		}
	}
	last := make(map[string]int, len(all))
	for j, m := range all {
		last[m.key] = j
	}
	if len(last) == len(all) {
		return all, nil
	}
	out := all[:0]
	for j, m := range all {
		if last[m.key] == j {
			out = append(out, m)
		}
	}
	return out, nil
}

// skipValue returns the index after the well-formed value at b[i].
func skipValue(b []byte, i int) int {
	depth := 0
	for {
		switch c := b[i]; c {
		case '"':
			i++
			for b[i] != '"' {
				if b[i] == '\\' {
					i++
				}
				i++
			}
			i++
		case '{', '[':
			depth++
			i++
		case '}', ']':
			depth--
			i++
		default:
			for i < len(b) && !strings.ContainsRune(",]} \t\n\r{[\"", rune(b[i])) {
				i++
			}
		}
		if depth == 0 {
			return i
		}
		i = skipSpace(b, i)
		if b[i] == ',' || b[i] == ':' {
			i = skipSpace(b, i+1)
		}
	}
}

func (l *locator) object(n *fnode, b []byte, start int, ptr, kw string, depth int) bool {
	ms, err := members(b, start)
	if err != nil {
		l.err = err
		return false
	}
	ok := true
	if n.minProps != -1 && len(ms) < n.minProps {
		l.add(n, ptr, kw, "minProperties", "minimum %d properties allowed, but found %d properties", n.minProps, len(ms))
		ok = false
	}
	if n.maxProps != -1 && len(ms) > n.maxProps {
		l.add(n, ptr, kw, "maxProperties", "maximum %d properties allowed, but found %d properties", n.maxProps, len(ms))
		ok = false
	}
	if len(n.required) > 0 {
		present := make(map[string]bool, len(n.required))
		for _, m := range ms {
			if slices.Contains(n.required, m.key) {
				present[m.key] = true
			}
		}
		var missing []string
		for _, r := range n.required {
			if !present[r] {
				missing = append(missing, quote(r))
			}
		}
		if len(missing) > 0 {
			l.add(n, ptr, kw, "required", "missing properties: %s", strings.Join(missing, ", "))
			ok = false
		}
	}
	if n.addlFalse {
		var extra []string
		for _, m := range ms {
			if _, has := n.props[m.key]; !has && !slices.ContainsFunc(n.patProps, func(pp patProp) bool { return pp.re.MatchString(m.key) }) {
				extra = append(extra, m.key)
			}
		}
		if len(extra) > 0 {
			slices.Sort(extra)
			for i, k := range extra {
				extra[i] = quote(k)
			}
			l.add(n, ptr, kw, "additionalProperties", "additionalProperties %s not allowed", strings.Join(extra, ", "))
			ok = false
		}
	}
	for _, m := range ms {
		if l.full() {
			return false
		}
		kp := ptr + "/" + escapeToken(m.key)
		if n.propNames != nil && !n.propNames.valid(m.key, 0) {
			ok = l.js(n.propNames, m.key, kp, kw+"/propertyNames") && ok
		}
		evaluated := false
		if p, has := n.props[m.key]; has {
			evaluated = true
			if !sure(p, b, m.start, m.end) {
				ok = l.locate(p, b, m.start, m.end, kp, kw+"/properties/"+escapeToken(m.key), depth) && ok
			}
		}
		for _, pp := range n.patProps {
			if pp.re.MatchString(m.key) {
				evaluated = true
				if !sure(pp.n, b, m.start, m.end) {
					ok = l.locate(pp.n, b, m.start, m.end, kp, kw+"/patternProperties/"+escapeToken(pp.re.String()), depth) && ok
				}
			}
		}
		if !evaluated && !n.addlFalse && !sure(n.addl, b, m.start, m.end) {
			ok = l.locate(n.addl, b, m.start, m.end, kp, kw+"/additionalProperties", depth) && ok
		}
	}
	return ok
}

func (l *locator) array(n *fnode, b []byte, start int, ptr, kw string, depth int) bool {
	ok := true
	if n.minItems != -1 || n.maxItems != -1 || n.restFalse {
		count := 0
		for i := skipSpace(b, start+1); b[i] != ']'; {
			i = skipSpace(b, skipValue(b, i))
			if b[i] == ',' {
				i = skipSpace(b, i+1)
			}
			count++
		}
		if n.minItems != -1 && count < n.minItems {
			l.add(n, ptr, kw, "minItems", "minimum %d items required, but found %d items", n.minItems, count)
			ok = false
		}
		if n.maxItems != -1 && count > n.maxItems {
			l.add(n, ptr, kw, "maxItems", "maximum %d items required, but found %d items", n.maxItems, count)
			ok = false
		}
		if n.restFalse && count > len(n.prefix) {
			l.add(n, ptr, kw, "additionalItems", "only %d items are allowed, but found %d items", len(n.prefix), count)
			ok = false
		}
	}
	// The keyword names of the item schemas: draft 2020-12 prefixItems and
	// items, or draft-07 items (an array) and additionalItems.
	prefixKw, restKw := "/prefixItems/", "/items"
	if _, isArray := n.js.Items.([]*jsonschema.Schema); isArray {
		prefixKw, restKw = "/items/", "/additionalItems"
	}
	for i, idx := skipSpace(b, start+1), 0; b[i] != ']'; idx++ {
		if l.full() {
			return false
		}
		end := skipValue(b, i)
		s, skw := n.rest, restKw
		if idx < len(n.prefix) {
			s, skw = n.prefix[idx], prefixKw+strconv.Itoa(idx)
		} else if n.restFalse {
			break
		}
		if !sure(s, b, i, end) {
			ok = l.locate(s, b, i, end, ptr+"/"+strconv.Itoa(idx), kw+skw, depth) && ok
		}
		i = skipSpace(b, end)
		if b[i] == ',' {
			i = skipSpace(b, i+1)
		}
	}
	return ok
}

// validateLarge validates a body over detailLimit that the fast path did
// not accept, without decoding it whole: check the syntax, the numbers,
// then locate.
func validateLarge(sch *compiled, topic string, body []byte) error {
	if err := checkSyntax(body); err != nil {
		return &ValidationError{Topic: topic, Err: err, Causes: []Cause{{Message: err.Error()}}}
	}
	if err := numbers(topic, body); err != nil {
		return err
	}
	start := skipSpace(body, 0)
	end := skipValue(body, start)
	l := &locator{}
	valid := l.locate(sch.fast, body, start, end, "", "", 0)
	switch {
	case l.err != nil:
		return &ValidationError{Topic: topic, Err: l.err, Causes: []Cause{{Message: l.err.Error()}}}
	case valid:
		return nil
	case len(l.causes) == 0: // cannot happen: an invalid value has a cause
		return &ValidationError{Topic: topic, Causes: []Cause{{Message: "invalid"}}}
	}
	return &ValidationError{Topic: topic, Causes: l.causes}
}

// quote quotes a property name as jsonschema's messages do: 'name'.
func quote(s string) string {
	s = strconv.Quote(s)
	s = strings.ReplaceAll(s, `\"`, `"`)
	s = strings.ReplaceAll(s, `'`, `\'`)
	return "'" + s[1:len(s)-1] + "'"
}

// escapeToken escapes a JSON pointer token as jsonschema does in its
// locations (RFC 6901, then URL path escaping), so that all causes agree.
func escapeToken(s string) string {
	return url.PathEscape(strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1"))
}
