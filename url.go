package distributer

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/distributer/distributer/driver"
)

// Defaults of the runtime's URL options, which every driver's URL accepts.
const (
	// DefaultMaxMessageBytes is the default max_message_bytes: the largest
	// message body, in bytes, that Publish sends and a handler is given
	// (1 MiB, as NATS and Kafka). 0 turns the limit off.
	DefaultMaxMessageBytes = 1 << 20
	// DefaultOpenWait is the default open_wait: how long Open waits for a
	// broker that is unavailable (refuses or resets connections, does not
	// answer, is starting), retrying with backoff. 0 turns waiting off.
	DefaultOpenWait = 60 * time.Second
	// DefaultMaxAttempts is the default max_attempts: how many times a
	// message is delivered to a handler that fails before it is
	// dead-lettered (see "Delivery policy" in the package documentation).
	DefaultMaxAttempts = 5
	// MaxMaxAttempts is the largest max_attempts accepted.
	MaxMaxAttempts = 1000
)

// Backoff between Open's attempts while the broker is unavailable.
const (
	openBackoffMin = 100 * time.Millisecond
	openBackoffMax = 2 * time.Second
)

// runtimeParams are the query options that Open reads itself, for every
// driver; the driver gets the URL without them.
var runtimeParams = []string{"max_attempts", "max_message_bytes", "open_wait"}

// urlOptions are the runtime's URL options.
type urlOptions struct {
	maxAttempts     int
	maxMessageBytes int
	openWait        time.Duration
}

// RedactURL returns s with its password replaced by "xxxxx". It does not
// need s to be a valid URL; see driver.RedactURL.
func RedactURL(s string) string { return driver.RedactURL(s) }

// URLError reports a malformed URL, with a hint on how to write it. It wraps
// ErrInvalidURL and never holds the password.
type URLError = driver.URLError

var (
	urlScheme = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9+.\-]*):`)
	// hostPort is a URL written without its scheme: host:port[/...].
	hostPort = regexp.MustCompile(`^([^/?#]*@)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.\-]+):([0-9]{1,5})(/.*)?$`)
)

// passwordHint is the hint for a URL that a password with a reserved
// character makes unreadable.
const passwordHint = "if the password contains '#', '/', '?', '@' or '%', percent-encode them: %23, %2F, %3F, %40, %25"

// parseURL checks raw and splits it into the URL for the driver (without
// the runtime's options) and the runtime's options. Every error is a
// *URLError or *UnknownSchemeError without the password.
func parseURL(raw string) (driver.Driver, *url.URL, urlOptions, error) {
	ro := urlOptions{maxAttempts: DefaultMaxAttempts, maxMessageBytes: DefaultMaxMessageBytes, openWait: DefaultOpenWait}
	for i := 0; i < len(raw); i++ {
		if c := raw[i]; c < 0x20 || c == 0x7f {
			return nil, nil, ro, driver.NewURLError(raw, fmt.Sprintf("control character 0x%02x at offset %d", c, i),
				"remove it; in a password, percent-encode it (a newline is %0A)")
		}
	}
	m := urlScheme.FindStringSubmatch(raw)
	if m == nil {
		hint := "want scheme://user:pass@host:port/..., the scheme one of " + strings.Join(driver.Schemes(), ", ")
		if hostPort.MatchString(raw) {
			hint = noSchemeHint(raw)
		}
		return nil, nil, ro, driver.NewURLError(raw, "no scheme", hint)
	}
	sch := strings.ToLower(m[1])
	drv, ok := driver.Lookup(sch)
	if !ok {
		e := &UnknownSchemeError{Scheme: m[1], Registered: driver.Schemes()}
		if hostPort.MatchString(raw) { // "localhost:5672"
			e.Hint = noSchemeHint(raw)
		}
		return nil, nil, ro, e
	}
	rest := raw[len(m[0]):]
	if !strings.HasPrefix(rest, "//") {
		return nil, nil, ro, driver.NewURLError(raw, `no "//" after the scheme`,
			fmt.Sprintf("want %s://user:pass@host:port/...; %s", sch, passwordHint))
	}
	u, err := url.Parse(raw)
	if err != nil {
		// Never print url.Parse's error: it quotes the URL, password included.
		problem := "not a valid URL"
		var ee url.EscapeError
		if errors.As(err, &ee) {
			problem = "invalid %%-escape"
		} else if strings.Contains(err.Error(), "invalid port") {
			problem = "invalid port"
		}
		hint := "want " + sch + "://user:pass@host:port/..."
		if strings.Contains(raw, "@") {
			hint += "; " + passwordHint
		}
		return nil, nil, ro, driver.NewURLError(raw, problem, hint)
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return nil, nil, ro, driver.NewURLError(raw, "a fragment (#...) is not allowed", passwordHint)
	}
	if strings.Contains(u.Host, "@") {
		return nil, nil, ro, driver.NewURLError(raw, "'@' in the host", passwordHint)
	}
	q, err := splitQuery(raw, u.RawQuery)
	if err != nil {
		return nil, nil, ro, err
	}
	keep := make([]string, 0, len(q))
	seen := map[string]bool{}
	for _, p := range q {
		if !slices.Contains(runtimeParams, p.key) {
			keep = append(keep, p.raw)
			continue
		}
		if seen[p.key] {
			return nil, nil, ro, &driver.QueryError{Scheme: sch, Param: p.key, Value: p.value, Err: errors.New("given more than once")}
		}
		seen[p.key] = true
		if err := ro.set(sch, p.key, p.value); err != nil {
			return nil, nil, ro, err
		}
	}
	du := *u
	du.RawQuery = strings.Join(keep, "&")
	du.ForceQuery = false
	return drv, &du, ro, nil
}

func noSchemeHint(raw string) string {
	s := "amqp"
	if strings.Contains(raw, ":5671") {
		s = "amqps"
	}
	r := driver.RedactURL(raw)
	if !strings.Contains(r, "/") {
		r += "/"
	}
	return fmt.Sprintf("no scheme: did you mean %s://%s?", s, r)
}

// queryPart is one key=value of a URL's query.
type queryPart struct {
	raw, key, value string
}

// splitQuery reads the whole query, refusing what url.Values would drop
// silently: a ';' (Go's parser drops the pair) or an invalid %-escape.
func splitQuery(raw, rawQuery string) ([]queryPart, error) {
	var parts []queryPart
	for _, p := range strings.Split(rawQuery, "&") {
		if p == "" {
			continue
		}
		if strings.Contains(p, ";") {
			return nil, driver.NewURLError(raw, `query part %q has a ";", which Go's URL parser drops with the parameter`,
				"separate query parameters with '&'", p)
		}
		k, v, _ := strings.Cut(p, "=")
		key, err1 := url.QueryUnescape(k)
		value, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			return nil, driver.NewURLError(raw, "query part %q has an invalid %%-escape", "write a '%' as %25", p)
		}
		parts = append(parts, queryPart{raw: p, key: key, value: value})
	}
	return parts, nil
}

// set reads one runtime option.
func (o *urlOptions) set(sch, key, value string) error {
	bad := func(why string) error {
		return &driver.QueryError{Scheme: sch, Param: key, Value: value, Err: errors.New(why)}
	}
	switch key {
	case "max_attempts":
		n, err := strconv.Atoi(value)
		if err != nil || n < 1 || n > MaxMaxAttempts {
			return bad(fmt.Sprintf("want 1 to %d", MaxMaxAttempts))
		}
		o.maxAttempts = n
	case "max_message_bytes":
		n, err := strconv.Atoi(value)
		if err != nil || n < 0 {
			return bad("want a number of bytes, 0 for no limit")
		}
		o.maxMessageBytes = n
	case "open_wait":
		d, err := time.ParseDuration(value)
		if err != nil {
			if n, aerr := strconv.Atoi(value); aerr == nil {
				d, err = time.Duration(n)*time.Second, nil
			}
		}
		if err != nil || d < 0 {
			return bad("want a duration such as 30s or 2m (integer: seconds), 0 to fail at once")
		}
		o.openWait = d
	}
	return nil
}
