package typed

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/distributer/distributer/internal/jsonguard"
)

// Validation of large bodies. jsonschema/v5 allocates, for every object and
// array it checks, a map with an entry per member or item, and builds a
// located error for every failing value: an invalid 30 MB array of 15
// million items cost 39 s and 2.5 GB. A body larger than detailLimit that
// the fast paths did not accept is therefore checked by locate, which walks
// the decoded value along the fnode tree itself, gives to jsonschema only
// the values the fast path cannot decide (scalars, and the subtrees of the
// keywords it does not decide: oneOf, not, if, enum of objects, ...), and
// stops after maxCauses causes. Its verdict is jsonschema's; its causes are
// the first ones in document order.

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
		AbsoluteKeywordLocation: strings.ReplaceAll(abs, baseURL, ""),
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

// descendable reports whether locate may check v against n piecewise: v is
// an object or an array, and every keyword of n is one that fnode decides
// exactly for such a value, or an applicator locate follows.
func (n *fnode) descendable(v any) bool {
	switch v.(type) {
	case map[string]any, []any:
	default:
		return false
	}
	return n.js != nil && !n.unsure && !n.never && n.consts == nil && n.enum == nil && n.anyOf == nil && n.format == nil
}

// locate checks v (at ptr; kw is the keyword path that reached n) against
// n and records why it is invalid. It returns whether v is valid. The
// caller has found that n.valid(v) is false: v is invalid, or the fast
// path is not sure.
func (l *locator) locate(n *fnode, v any, ptr, kw string, depth int) bool {
	if n == nil || l.full() {
		return n == nil
	}
	if depth > maxFastDepth || !n.descendable(v) {
		return l.js(n, v, ptr, kw)
	}
	depth++
	ok := true
	if n.types != 0 && !n.typeOK(v) {
		// jsonschema checks nothing else of a value of the wrong type.
		l.add(n, ptr, kw, "type", "expected %s, but got %s", strings.Join(n.js.Types, " or "), jsonTypeOf(v))
		return false
	}
	switch v := v.(type) {
	case map[string]any:
		ok = l.object(n, v, ptr, kw, depth)
	case []any:
		ok = l.array(n, v, ptr, kw, depth)
	}
	if n.ref != nil && !n.ref.valid(v, 0) && !l.locate(n.ref, v, ptr, kw+"/$ref", depth) {
		ok = false
	}
	for i, a := range n.allOf {
		if !a.valid(v, 0) && !l.locate(a, v, ptr, kw+"/allOf/"+strconv.Itoa(i), depth) {
			ok = false
		}
	}
	return ok
}

func (l *locator) object(n *fnode, v map[string]any, ptr, kw string, depth int) bool {
	ok := true
	if n.minProps != -1 && len(v) < n.minProps {
		l.add(n, ptr, kw, "minProperties", "minimum %d properties allowed, but found %d properties", n.minProps, len(v))
		ok = false
	}
	if n.maxProps != -1 && len(v) > n.maxProps {
		l.add(n, ptr, kw, "maxProperties", "maximum %d properties allowed, but found %d properties", n.maxProps, len(v))
		ok = false
	}
	var missing []string
	for _, r := range n.required {
		if _, ok := v[r]; !ok {
			missing = append(missing, quote(r))
		}
	}
	if len(missing) > 0 {
		l.add(n, ptr, kw, "required", "missing properties: %s", strings.Join(missing, ", "))
		ok = false
	}
	// The members that are not certainly valid, in a fixed order.
	var bad, extra []string
	for k, pv := range v {
		if n.propNames != nil && !n.propNames.valid(k, 0) {
			bad = append(bad, k)
			continue
		}
		evaluated := false
		memberOK := true
		if p, has := n.props[k]; has {
			evaluated = true
			memberOK = p.valid(pv, 0)
		}
		for _, pp := range n.patProps {
			if pp.re.MatchString(k) {
				evaluated = true
				memberOK = memberOK && pp.n.valid(pv, 0)
			}
		}
		if !evaluated {
			if n.addlFalse {
				extra = append(extra, k)
				continue
			}
			memberOK = n.addl.valid(pv, 0)
		}
		if !memberOK {
			bad = append(bad, k)
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
	slices.Sort(bad)
	for _, k := range bad {
		if l.full() {
			return false
		}
		pv, kp := v[k], ptr+"/"+escapeToken(k)
		if n.propNames != nil && !n.propNames.valid(k, 0) {
			ok = l.locate(n.propNames, k, kp, kw+"/propertyNames", depth) && ok
		}
		evaluated := false
		if p, has := n.props[k]; has {
			evaluated = true
			if !p.valid(pv, 0) {
				ok = l.locate(p, pv, kp, kw+"/properties/"+escapeToken(k), depth) && ok
			}
		}
		for _, pp := range n.patProps {
			if pp.re.MatchString(k) {
				evaluated = true
				if !pp.n.valid(pv, 0) {
					ok = l.locate(pp.n, pv, kp, kw+"/patternProperties/"+escapeToken(pp.re.String()), depth) && ok
				}
			}
		}
		if !evaluated && !n.addlFalse && !n.addl.valid(pv, 0) {
			ok = l.locate(n.addl, pv, kp, kw+"/additionalProperties", depth) && ok
		}
	}
	return ok
}

func (l *locator) array(n *fnode, v []any, ptr, kw string, depth int) bool {
	ok := true
	if n.minItems != -1 && len(v) < n.minItems {
		l.add(n, ptr, kw, "minItems", "minimum %d items required, but found %d items", n.minItems, len(v))
		ok = false
	}
	if n.maxItems != -1 && len(v) > n.maxItems {
		l.add(n, ptr, kw, "maxItems", "maximum %d items required, but found %d items", n.maxItems, len(v))
		ok = false
	}
	if n.restFalse && len(v) > len(n.prefix) {
		l.add(n, ptr, kw, "additionalItems", "only %d items are allowed, but found %d items", len(n.prefix), len(v))
		ok = false
	}
	// The keyword names of the item schemas: draft 2020-12 prefixItems and
	// items, or draft-07 items (an array) and additionalItems.
	prefixKw, restKw := "/prefixItems/", "/items"
	if _, isArray := n.js.Items.([]*jsonschema.Schema); isArray {
		prefixKw, restKw = "/items/", "/additionalItems"
	}
	for i, item := range v {
		if l.full() {
			return false
		}
		s, skw := n.rest, restKw
		if i < len(n.prefix) {
			s, skw = n.prefix[i], prefixKw+strconv.Itoa(i)
		} else if n.restFalse {
			break
		}
		if s != nil && !s.valid(item, 0) {
			ok = l.locate(s, item, ptr+"/"+strconv.Itoa(i), kw+skw, depth) && ok
		}
	}
	return ok
}

// validateLarge is the last step of validate for a body over detailLimit:
// locate instead of jsonschema on the whole value.
func validateLarge(sch *schema, topic string, v any) error {
	l := &locator{}
	valid := l.locate(sch.fast, v, "", "", 0)
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

func jsonTypeOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case json.Number:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
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
