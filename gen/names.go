package gen

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// initialisms are the words written in upper case in Go names (user_id
// -> UserID, sku -> SKU), as Go's own names write them; a few keep a
// lower-case tail (ipv4 -> IPv4). A plural of one gets a lower-case s
// (ids -> IDs, urls -> URLs). The list is documented in docs/distgen.md
// (TestInitialismsDocumented keeps the two equal).
var initialisms = map[string]string{}

func init() {
	for _, w := range []string{
		"ACL", "API", "ASCII", "CPU", "CSS", "CSV", "DNS", "EOF", "GPS", "GUID",
		"HTML", "HTTP", "HTTPS", "ID", "IP", "JSON", "JWT", "OK", "PDF", "QPS",
		"RAM", "RPC", "SDK", "SKU", "SLA", "SMTP", "SQL", "SSH", "TCP", "TLS",
		"TTL", "UDP", "UI", "UID", "URI", "URL", "URN", "UTC", "UTF8", "UUID",
		"VM", "XML", "XMPP", "XSRF", "XSS", "IPv4", "IPv6",
	} {
		initialisms[strings.ToUpper(w)] = w
	}
}

// initialism returns how the word w is written when it is an initialism
// or the plural of one, and false otherwise.
func initialism(w string) (string, bool) {
	up := strings.ToUpper(w)
	if s, ok := initialisms[up]; ok {
		return s, true
	}
	if n := len(up); n > 2 && up[n-1] == 'S' {
		if s, ok := initialisms[up[:n-1]]; ok && !strings.HasSuffix(s, "S") {
			return s + "s", true
		}
	}
	return "", false
}

// words splits s into words at non-alphanumeric characters and camel-case
// boundaries ("userId" -> user, Id; "HTTPServer" -> HTTP, Server).
func words(s string) []string {
	var out []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			out = append(out, string(cur))
			cur = cur[:0]
		}
	}
	rs := []rune(s)
	for i, r := range rs {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			flush()
			continue
		}
		if len(cur) > 0 {
			prev := cur[len(cur)-1]
			switch {
			case unicode.IsUpper(r) && unicode.IsLower(prev):
				flush()
			case unicode.IsUpper(r) && unicode.IsUpper(prev) && i+1 < len(rs) && unicode.IsLower(rs[i+1]):
				flush()
			case unicode.IsDigit(prev) && unicode.IsLetter(r) && !unicode.IsDigit(r):
				// "3d" stays one word; "v2beta" splits after the digits.
				if len(cur) > 1 || !unicode.IsDigit(cur[0]) {
					flush()
				}
			}
		}
		cur = append(cur, r)
	}
	flush()
	return out
}

// goName turns s (a JSON member name, file name, enum value...) into an
// exported Go identifier with Go initialisms, or "" when s has no letters
// or digits.
func goName(s string) string {
	out := goNameBody(s)
	if out == "" {
		return ""
	}
	if r, _ := utf8.DecodeRuneInString(out); !unicode.IsUpper(r) {
		out = "X" + out
	}
	return out
}

// goNameBody is goName without the guarantee of an upper-case first
// letter: for suffixes of names that already start with one (enum
// constants: Level0, TaskStatus2fa).
func goNameBody(s string) string {
	var b strings.Builder
	for _, w := range words(s) {
		if s, ok := initialism(w); ok {
			b.WriteString(s)
			continue
		}
		r, n := utf8.DecodeRuneInString(w)
		b.WriteRune(unicode.ToUpper(r))
		b.WriteString(w[n:])
	}
	return b.String()
}

// isIdent reports whether s is a valid exported Go identifier.
func isExportedIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if i == 0 && !unicode.IsUpper(r) {
			return false
		}
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' {
			return false
		}
	}
	return true
}

// namespace hands out unique names deterministically: a taken name gets
// the smallest numeric suffix (2, 3, ...) that is free.
type namespace struct{ taken map[string]bool }

func newNamespace() *namespace { return &namespace{taken: map[string]bool{}} }

func (ns *namespace) reserve(name string) { ns.taken[name] = true }

func (ns *namespace) unique(name string) string {
	if !ns.taken[name] {
		ns.taken[name] = true
		return name
	}
	for i := 2; ; i++ {
		n := name + strconv.Itoa(i)
		if !ns.taken[n] {
			ns.taken[n] = true
			return n
		}
	}
}

// validTag reports whether encoding/json accepts name as a json tag name
// (the rules of encoding/json's isValidTag).
func validTag(name string) bool {
	if name == "" {
		return false
	}
	for _, c := range name {
		switch {
		case strings.ContainsRune("!#$%&()*+-./:;<=>?@[]^_{|}~ ", c):
		case !unicode.IsLetter(c) && !unicode.IsDigit(c):
			return false
		}
	}
	return true
}

// docLines turns schema text into comment lines that cannot end the
// comment or become a directive: control characters are dropped, and
// every line is its own // comment.
func docLines(text string) []string {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t':
			return r
		case r == '\u2028' || r == '\u2029' || r == '\r':
			return '\n'
		case unicode.IsControl(r) || r == utf8.RuneError || r == '\ufeff':
			return -1
		}
		return r
	}, text)
	// Every line becomes its own // comment, so that nothing in it can end
	// the comment or start a directive; "*/" is still broken up, for tools
	// that turn line comments into a block.
	text = strings.ReplaceAll(text, "*/", "* /")
	var out []string
	for _, l := range strings.Split(text, "\n") {
		out = append(out, strings.TrimRight(l, " \t"))
	}
	for len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	for len(out) > 0 && out[0] == "" {
		out = out[1:]
	}
	return out
}
