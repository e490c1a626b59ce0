package schema

import (
	"math"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v5"
)

// AssertedFormats lists the values of "format" that are asserted, in every draft
// (2020-12 and 2019-09 included, where the specification makes format an
// annotation unless asked): a string that is not of its format is invalid.
// Any other format is an annotation: it is not checked. The checks are those
// of jsonschema/v5, made stricter where it accepts what the specification
// does not: RFC 3339 date-time (leap seconds and lower-case t and z
// included), date, time and duration; RFC 5321 email and its RFC 6531
// internationalized form; RFC 1123 hostname, with A-labels ("xn--")
// decoded and checked against the IDNA2008 rules that need no Unicode
// property tables beyond Go's; dotted ipv4 without leading zeros or signs;
// RFC 4291 ipv6; RFC 3986 uri and uri-reference (characters and
// brackets checked); RFC 4122 uuid; Go regexp syntax for regex; RFC 6901
// json-pointer.
func AssertedFormats() []string { return slices.Clone(asserted) }

var asserted = []string{
	"date-time", "date", "time", "duration",
	"email", "idn-email", "hostname",
	"ipv4", "ipv6",
	"uri", "uri-reference",
	"uuid", "regex", "json-pointer",
}

// formatCheckers maps every format jsonschema/v5 knows to its check: the
// asserted ones to a check, the others to one that accepts everything, so
// that the compiler's defaults never add a check of their own.
var formatCheckers = func() map[string]func(any) bool {
	m := map[string]func(any) bool{}
	for name := range jsonschema.Formats {
		m[name] = func(any) bool { return true }
	}
	for _, name := range asserted {
		m[name] = jsonschema.Formats[name]
	}
	m["idn-email"] = isIDNEmail
	m["hostname"] = isHostname
	m["ipv4"] = isIPv4
	m["uri"] = both(jsonschema.Formats["uri"], uriChars)
	m["uri-reference"] = both(jsonschema.Formats["uri-reference"], uriChars)
	return m
}()

// both is the check of a string that passes f and g.
func both(f func(any) bool, g func(string) bool) func(any) bool {
	return func(v any) bool {
		s, ok := v.(string)
		return !ok || f(v) && g(s)
	}
}

// FormatChecker returns the check of an asserted format (see AssertedFormats), and
// nil for a format that is an annotation.
func FormatChecker(name string) func(any) bool {
	if !slices.Contains(asserted, name) {
		return nil
	}
	return formatCheckers[name]
}

// isIDNEmail checks an internationalized email address (RFC 6531): an email
// address whose local part and domain may hold any non-ASCII characters
// where ASCII letters may stand.
func isIDNEmail(v any) bool {
	s, ok := v.(string)
	if !ok {
		return true
	}
	if !utf8.ValidString(s) {
		return false
	}
	ascii := strings.Map(func(r rune) rune {
		if r >= utf8.RuneSelf {
			return 'a'
		}
		return r
	}, s)
	return jsonschema.Formats["email"](ascii)
}

// isIPv4 is jsonschema's ipv4 without the signs strconv.Atoi takes ("+1").
func isIPv4(v any) bool {
	s, ok := v.(string)
	if !ok {
		return true
	}
	return !strings.ContainsAny(s, "+-") && jsonschema.Formats["ipv4"](v)
}

// isHostname is jsonschema's hostname without a trailing dot, with every
// A-label decoded and its U-label checked (RFC 5891, 5892).
func isHostname(v any) bool {
	s, ok := v.(string)
	if !ok {
		return true
	}
	if strings.HasSuffix(s, ".") || !jsonschema.Formats["hostname"](v) {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if len(label) >= 4 && strings.EqualFold(label[:4], "xn--") {
			u, ok := punycode(label[4:])
			if !ok || !uLabelOK(u) {
				return false
			}
		}
	}
	return true
}

// punycode decodes the Punycode (RFC 3492) of an A-label after "xn--".
func punycode(s string) ([]rune, bool) {
	const (
		base, tmin, tmax, skew, damp = 36, 1, 26, 38, 700
		maxRune                      = 0x10FFFF
	)
	var out []rune
	if b := strings.LastIndexByte(s, '-'); b >= 0 {
		for _, c := range s[:b] {
			if c >= utf8.RuneSelf {
				return nil, false
			}
			out = append(out, c)
		}
		s = s[b+1:]
	}
	digit := func(c byte) int {
		switch {
		case '0' <= c && c <= '9':
			return int(c-'0') + 26
		case 'a' <= c && c <= 'z':
			return int(c - 'a')
		case 'A' <= c && c <= 'Z':
			return int(c - 'A')
		}
		return -1
	}
	n, bias, i := 128, 72, 0
	for first := true; len(s) > 0; first = false {
		oldi, w := i, 1
		for k := base; ; k += base {
			if len(s) == 0 {
				return nil, false
			}
			d := digit(s[0])
			s = s[1:]
			if d < 0 || d > (math.MaxInt32-i)/w {
				return nil, false
			}
			i += d * w
			t := min(max(k-bias, tmin), tmax)
			if d < t {
				break
			}
			w *= base - t
		}
		delta := i - oldi
		if first {
			delta /= damp
		} else {
			delta /= 2
		}
		delta += delta / (len(out) + 1)
		k := 0
		for delta > ((base-tmin)*tmax)/2 {
			delta /= base - tmin
			k += base
		}
		bias = k + (base-tmin+1)*delta/(delta+skew)
		n += i / (len(out) + 1)
		i %= len(out) + 1
		if n > maxRune || 0xD800 <= n && n <= 0xDFFF {
			return nil, false
		}
		out = slices.Insert(out, i, rune(n))
		i++
	}
	return out, true
}

// viramas are the characters of canonical combining class 9 (Virama), which
// a ZERO WIDTH JOINER must follow (RFC 5892 A.2).
var viramas = []rune{
	0x094D, 0x09CD, 0x0A4D, 0x0ACD, 0x0B4D, 0x0BCD, 0x0C4D, 0x0CCD, 0x0D3B, 0x0D3C,
	0x0D4D, 0x0DCA, 0x0E3A, 0x0EBA, 0x0F84, 0x1039, 0x103A, 0x1714, 0x1715, 0x1734,
	0x17D2, 0x1A60, 0x1B44, 0x1BAA, 0x1BAB, 0x1BF2, 0x1BF3, 0x2D7F, 0xA806, 0xA82C,
	0xA8C4, 0xA953, 0xA9C0, 0xAAF6, 0xABED, 0x10A3F, 0x11046, 0x11070, 0x1107F,
	0x110B9, 0x11133, 0x11134, 0x111C0, 0x11235, 0x112EA, 0x1134D, 0x11442, 0x114C2,
	0x115BF, 0x1163F, 0x116B6, 0x1172B, 0x11839, 0x1193D, 0x1193E, 0x119E0, 0x11A34,
	0x11A47, 0x11A99, 0x11C3F, 0x11D44, 0x11D45, 0x11D97,
}

// uLabelOK checks a decoded A-label: not ASCII only, no "--" in the third
// and fourth places, no leading combining mark, only letters, digits, marks
// and the characters IDNA2008 lists as exceptions, and the contextual rules
// of RFC 5892 Appendix A (ZERO WIDTH NON-JOINER's joining-type rule is not
// checked: it is accepted).
func uLabelOK(u []rune) bool {
	ascii := true
	for _, r := range u {
		ascii = ascii && r < utf8.RuneSelf
	}
	if ascii || len(u) >= 4 && u[2] == '-' && u[3] == '-' || unicode.Is(unicode.M, u[0]) {
		return false
	}
	arabicIndic, extended := false, false
	for i, r := range u {
		prev, next := rune(-1), rune(-1)
		if i > 0 {
			prev = u[i-1]
		}
		if i+1 < len(u) {
			next = u[i+1]
		}
		switch {
		case r < utf8.RuneSelf:
			// The LDH letters of the A-label's basic part.
		case r == 0x00DF, r == 0x03C2, r == 0x06FD, r == 0x06FE, r == 0x0F0B, r == 0x3007:
			// PVALID exceptions.
		case r == 0x0640, r == 0x07FA, r == 0x302E, r == 0x302F, 0x3031 <= r && r <= 0x3035, r == 0x303B:
			return false // DISALLOWED exceptions
		case r == 0x00B7: // MIDDLE DOT: between two l
			if prev != 'l' || next != 'l' {
				return false
			}
		case r == 0x0375: // GREEK LOWER NUMERAL SIGN (KERAIA): before Greek
			if next < 0 || !unicode.Is(unicode.Greek, next) {
				return false
			}
		case r == 0x05F3, r == 0x05F4: // GERESH, GERSHAYIM: after Hebrew
			if prev < 0 || !unicode.Is(unicode.Hebrew, prev) {
				return false
			}
		case r == 0x30FB: // KATAKANA MIDDLE DOT: with Hiragana, Katakana or Han
			if !slices.ContainsFunc(u, func(c rune) bool {
				return c != 0x30FB && unicode.In(c, unicode.Hiragana, unicode.Katakana, unicode.Han)
			}) {
				return false
			}
		case r == 0x200D: // ZERO WIDTH JOINER: after a virama
			if !slices.Contains(viramas, prev) {
				return false
			}
		case r == 0x200C: // ZERO WIDTH NON-JOINER
		case 0x0660 <= r && r <= 0x0669:
			arabicIndic = true
		case 0x06F0 <= r && r <= 0x06F9:
			extended = true
		case !unicode.In(r, unicode.L, unicode.M, unicode.Nd):
			return false
		}
	}
	return !(arabicIndic && extended)
}

// uriChars checks the characters of a URI or URI reference (RFC 3986): only
// unreserved, reserved and percent-encoded ones; square brackets only
// around the host; at most one "@" in the authority.
func uriChars(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("-._~:/?#[]@!$&'()*+,;=", c) >= 0:
		case c == '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return false
			}
		default:
			return false
		}
	}
	rest := s
	if i := strings.IndexAny(s, ":/?#"); i > 0 && s[i] == ':' {
		rest = s[i+1:]
	}
	if auth, ok := strings.CutPrefix(rest, "//"); ok {
		end := strings.IndexAny(auth, "/?#")
		if end < 0 {
			end = len(auth)
		}
		auth, rest = auth[:end], auth[end:]
		user, host, hasUser := strings.Cut(auth, "@")
		if !hasUser {
			host, user = auth, ""
		}
		if strings.ContainsAny(user, "@[]") || strings.Contains(host, "@") {
			return false
		}
		if h, ok := strings.CutPrefix(host, "["); ok {
			if end := strings.IndexByte(h, ']'); end < 0 || strings.ContainsAny(h[end+1:], "[]") || strings.ContainsAny(h[:end], "[") {
				return false
			}
		} else if strings.ContainsAny(host, "[]") {
			return false
		}
	}
	return !strings.ContainsAny(rest, "[]")
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
