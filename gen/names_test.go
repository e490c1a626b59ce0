package gen

import (
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
)

func TestGoName(t *testing.T) {
	for in, want := range map[string]string{
		"user_id":      "UserID",
		"userId":       "UserID",
		"sku":          "SKU",
		"item_sku":     "ItemSKU",
		"skus":         "SKUs",
		"user_ids":     "UserIDs",
		"image_urls":   "ImageURLs",
		"http_server":  "HTTPServer",
		"HTTPServer":   "HTTPServer",
		"https":        "HTTPS",
		"apiKey":       "APIKey",
		"json_body":    "JSONBody",
		"uuid":         "UUID",
		"ipv4_address": "IPv4Address",
		"utf8":         "UTF8",
		"gps":          "GPS",
		"status":       "Status", // not the plural of an initialism
		"ups":          "Ups",
		"ids_list":     "IDsList",
		"3d":           "X3d",
		"-":            "",
	} {
		if got := goName(in); got != want {
			t.Errorf("goName(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestInitialismsDocumented keeps the list of initialisms in docs/distgen.md
// equal to the generator's.
func TestInitialismsDocumented(t *testing.T) {
	doc, err := os.ReadFile("../docs/distgen.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(doc), "Initialisms written in upper case:")
	if !ok {
		t.Fatal(`docs/distgen.md has no "Initialisms written in upper case:" list`)
	}
	para, _, _ := strings.Cut(after, "(`gen/names.go`")
	var documented []string
	for _, m := range regexp.MustCompile("`([A-Za-z0-9]+)`").FindAllStringSubmatch(para, -1) {
		documented = append(documented, m[1])
	}
	var code []string
	for _, w := range initialisms {
		code = append(code, w)
	}
	sort.Strings(code)
	sort.Strings(documented)
	if strings.Join(code, " ") != strings.Join(documented, " ") {
		t.Errorf("docs/distgen.md lists the initialisms\n%v\nthe generator has\n%v", documented, code)
	}
}
