package driver

import (
	"fmt"
	"regexp"
	"strings"
)

// scheme matches a URL's leading "scheme:".
var scheme = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.\-]*:`)

// Redacted is what RedactURL puts in place of a password.
const Redacted = "xxxxx"

// RedactURL returns s with the password of its user information replaced by
// "xxxxx". It is the one redaction of the project: the runtime, the drivers
// and the commands print URLs only through it.
//
// It works on anything URL-shaped and does not rely on s being a valid URL
// (a password with a newline, an invalid %-escape or an unencoded '/', '#',
// '?' or '@' makes url.Parse fail or misread it): the user information runs
// from after "scheme:" and its slashes to the LAST '@' of s. In a
// "scheme://user:password@" URL the user name is kept; in any other form
// ("amqp:/u:p@h", "u:p@h", "amqp:S3cret@h") the user information is hidden
// whole, since it is unclear which part is the password. Redacting too much
// is harmless; a string without '@' has no user information and is
// returned as it is.
func RedactURL(s string) string {
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		return s
	}
	start := 0
	if m := scheme.FindStringIndex(s); m != nil && m[1] <= at {
		start = m[1]
	}
	slashes := 0
	for start < at && s[start] == '/' {
		start++
		slashes++
	}
	info := s[start:at]
	if slashes != 2 || start == 2 { // not "scheme://": what is user, what password?
		return s[:start] + Redacted + s[at:]
	}
	if i := strings.IndexByte(info, ':'); i >= 0 {
		return s[:start] + info[:i] + ":" + Redacted + s[at:]
	}
	if !strings.ContainsAny(info, "/?#") {
		return s // scheme://user@host: a user name alone
	}
	return s[:start] + Redacted + s[at:]
}

// URLError reports a URL that is malformed or that a driver cannot use,
// with a hint on how to write it. It wraps ErrInvalidURL. It never holds the
// password: URL is redacted (RedactURL) and Problem names only parts of the
// URL that also appear in URL.
type URLError struct {
	URL     string // the URL, redacted
	Problem string // what is wrong
	Hint    string // how to fix it; may be empty
}

// Error says what is wrong with the URL and how to fix it.
func (e *URLError) Error() string {
	s := fmt.Sprintf("invalid URL %q: %s", e.URL, e.Problem)
	if e.Hint != "" {
		s += " (" + e.Hint + ")"
	}
	return s
}

// Unwrap returns ErrInvalidURL.
func (e *URLError) Unwrap() error { return ErrInvalidURL }

// NewURLError returns a *URLError for raw (which it redacts). Problem and
// hint are format strings; an argument that is a part of the URL is printed
// only if it shows in the redacted URL, so that no password is revealed by
// it (otherwise "(hidden)" is printed).
func NewURLError(raw, problem, hint string, parts ...string) *URLError {
	red := RedactURL(raw)
	args := make([]any, len(parts))
	for i, p := range parts {
		if strings.Contains(red, p) {
			args[i] = p
		} else {
			args[i] = "(part hidden: it may hold the password)"
		}
	}
	return &URLError{URL: red, Problem: fmt.Sprintf(problem, args...), Hint: hint}
}
