package doccheck

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
)

// Block is a fenced code block of a Markdown file.
type Block struct {
	File     string // the Markdown file, as given to Parse
	Line     int    // line of the block's first content line (1-based)
	Lang     string // first word of the info string: "go", "sh", "" ...
	Text     string // content, with the fence's indentation removed
	Fragment bool   // <!-- fragment --> precedes the block
	Cwd      string // directory of <!-- cwd: DIR --> before the block, "" when none
}

// Link is a link of a Markdown file, outside code.
type Link struct {
	File   string
	Line   int
	Target string // as written: "docs/runtime.md#groups", "https://..."
}

// Code is an inline code span of a Markdown file.
type Code struct {
	File string
	Line int
	Text string
}

// Doc is a parsed Markdown file.
type Doc struct {
	File    string
	Blocks  []Block
	Links   []Link
	Spans   []Code
	Anchors map[string]bool // heading anchors, as GitHub makes them
}

var (
	fenceRE   = regexp.MustCompile("^( {0,3})(`{3,}|~{3,})\\s*([^`\\s]*)")
	markerRE  = regexp.MustCompile(`^\s*<!--\s*(.*?)\s*-->\s*$`)
	linkRE    = regexp.MustCompile(`\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)`)
	refDefRE  = regexp.MustCompile(`^ {0,3}\[[^\]]+\]:\s+<?([^\s>]+)`)
	headingRE = regexp.MustCompile(`^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$`)
	spanRE    = regexp.MustCompile("(`+)(.+?)(`+)")
	// headingLinkRE is a link in a heading, whose text counts for its anchor.
	headingLinkRE = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`)
)

// Parse reads the blocks, links, inline code spans and heading anchors of
// a Markdown file. An unterminated fence is an error.
func Parse(file string, src []byte) (*Doc, error) {
	d := &Doc{File: file, Anchors: map[string]bool{}}
	lines := strings.Split(strings.ReplaceAll(string(src), "\r\n", "\n"), "\n")
	slugs := map[string]int{}
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if m := fenceRE.FindStringSubmatch(line); m != nil {
			indent, fence := len(m[1]), m[2]
			b := Block{File: file, Line: i + 2, Lang: strings.ToLower(m[3])}
			for j := i - 1; j >= 0; j-- { // the markers right above the fence
				mm := markerRE.FindStringSubmatch(lines[j])
				if mm == nil {
					break
				}
				switch kw, arg, _ := strings.Cut(mm[1], ":"); strings.TrimSpace(kw) {
				case "fragment":
					b.Fragment = true
				case "cwd":
					b.Cwd = strings.TrimSpace(arg)
				}
			}
			var body []string
			closed := false
			for i++; i < len(lines); i++ {
				l := lines[i]
				if closes(l, fence) {
					closed = true
					break
				}
				for k := 0; k < indent && strings.HasPrefix(l, " "); k++ {
					l = l[1:]
				}
				body = append(body, l)
			}
			if !closed {
				return nil, fmt.Errorf("%s:%d: code block not closed (add a line with %s)", file, b.Line-1, fence)
			}
			b.Text = strings.Join(body, "\n")
			if len(body) > 0 {
				b.Text += "\n"
			}
			d.Blocks = append(d.Blocks, b)
			continue
		}
		if m := headingRE.FindStringSubmatch(line); m != nil {
			s := slug(m[2])
			if n := slugs[s]; n > 0 {
				d.Anchors[fmt.Sprintf("%s-%d", s, n)] = true
			} else {
				d.Anchors[s] = true
			}
			slugs[s]++
		}
		for _, m := range spanRE.FindAllStringSubmatch(line, -1) {
			if len(m[1]) == len(m[3]) {
				d.Spans = append(d.Spans, Code{File: file, Line: i + 1, Text: strings.TrimSpace(m[2])})
			}
		}
		text := spanRE.ReplaceAllString(line, "")
		for _, m := range linkRE.FindAllStringSubmatch(text, -1) {
			d.Links = append(d.Links, Link{File: file, Line: i + 1, Target: m[1]})
		}
		if m := refDefRE.FindStringSubmatch(text); m != nil {
			d.Links = append(d.Links, Link{File: file, Line: i + 1, Target: m[1]})
		}
	}
	return d, nil
}

// slug is the anchor GitHub gives a heading: lower case, inline markup and
// punctuation other than '-' and '_' removed, spaces made '-'.
func slug(heading string) string {
	heading = headingLinkRE.ReplaceAllString(heading, "$1")
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// closes reports whether line closes a block opened with fence: the same
// character, at least as many, at most 3 spaces of indentation.
func closes(line, fence string) bool {
	t := strings.TrimLeft(line, " ")
	if len(line)-len(t) > 3 {
		return false
	}
	t = strings.TrimRight(t, " \t")
	return len(t) >= len(fence) && strings.Trim(t, fence[:1]) == ""
}
