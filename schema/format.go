package schema

import (
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v5"
)

// AssertedFormats lists the values of "format" that are asserted, in every draft
// (2020-12 and 2019-09 included, where the specification makes format an
// annotation unless asked): a string that is not of its format is invalid.
// Any other format is an annotation: it is not checked. The checks are those
// of jsonschema/v5 (RFC 3339 date-time, date, time and duration; RFC 5321
// email and its RFC 6531 internationalized form; RFC 1123 hostname; dotted
// ipv4 without leading zeros; RFC 4291 ipv6; RFC 3986 uri and
// uri-reference; RFC 4122 uuid; Go regexp syntax for regex; RFC 6901
// json-pointer).
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
	return m
}()

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
