package gen

import (
	"encoding/json"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v5"
)

// manifestGuide is the guide to distgen.json that must document every key
// manifestSchema accepts.
const manifestGuide = "../docs/distgen-json.md"

// manifestPaths walks a node of manifestSchema and records the path of
// every key it accepts ("topics.*.schema", "entries.*.routes[].when"; the
// keys of a $defs schema under its name: "set.*.from") in keys, any map
// below a path as path.* in maps, and the values of every enum in enums.
func manifestPaths(node map[string]any, path string, defs map[string]any, keys, maps, enums map[string]bool) {
	if ref, ok := node["$ref"].(string); ok {
		name := strings.TrimPrefix(ref, "#/$defs/")
		if def, ok := defs[name].(map[string]any); ok && !maps[name] {
			maps[name] = true // walked once
			manifestPaths(def, name, defs, keys, maps, enums)
		}
		return
	}
	if e, ok := node["enum"].([]any); ok {
		for _, v := range e {
			if s, ok := v.(string); ok {
				enums[s] = true
			}
		}
	}
	if props, ok := node["properties"].(map[string]any); ok {
		for k, v := range props {
			p := joinPath(path, k)
			keys[p] = true
			if sub, ok := v.(map[string]any); ok {
				manifestPaths(sub, p, defs, keys, maps, enums)
			}
		}
	}
	if ap, ok := node["additionalProperties"].(map[string]any); ok {
		maps[joinPath(path, "*")] = true
		manifestPaths(ap, joinPath(path, "*"), defs, keys, maps, enums)
	}
	if items, ok := node["items"].(map[string]any); ok {
		manifestPaths(items, path+"[]", defs, keys, maps, enums)
	}
}

// examplePaths records, in used, the path (as manifestPaths writes them) of
// every key of an instance of the schema node.
func examplePaths(node map[string]any, inst any, path string, defs map[string]any, used map[string]bool) {
	if ref, ok := node["$ref"].(string); ok {
		name := strings.TrimPrefix(ref, "#/$defs/")
		if def, ok := defs[name].(map[string]any); ok {
			examplePaths(def, inst, name, defs, used)
		}
		return
	}
	switch v := inst.(type) {
	case map[string]any:
		props, _ := node["properties"].(map[string]any)
		for k, val := range v {
			if sub, ok := props[k]; ok {
				used[joinPath(path, k)] = true
				if sub, ok := sub.(map[string]any); ok {
					examplePaths(sub, val, joinPath(path, k), defs, used)
				}
			} else if ap, ok := node["additionalProperties"].(map[string]any); ok {
				examplePaths(ap, val, joinPath(path, "*"), defs, used)
			}
		}
	case []any:
		if items, ok := node["items"].(map[string]any); ok {
			for _, it := range v {
				examplePaths(items, it, path+"[]", defs, used)
			}
		}
	}
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// TestManifestGuide keeps docs/distgen-json.md complete: every key that
// manifestSchema accepts (the keys loadManifest reads) is named in it in
// backquotes (`families.*.fanout.set`) and used in one of its examples,
// every compatibility value is named, every example is a distgen.json of
// the accepted shape, and every key path it names is accepted.
func TestManifestGuide(t *testing.T) {
	var schema map[string]any
	if err := json.Unmarshal([]byte(manifestSchema), &schema); err != nil {
		t.Fatal(err)
	}
	defs, _ := schema["$defs"].(map[string]any)
	keys, maps, enums := map[string]bool{}, map[string]bool{}, map[string]bool{}
	manifestPaths(schema, "", defs, keys, maps, enums)
	for name, d := range defs { // a $defs schema no key refers to is still documented
		if !maps[name] {
			maps[name] = true
			manifestPaths(d.(map[string]any), name, defs, keys, maps, enums)
		}
	}
	if len(keys) < 20 || !keys["entries.*.routes[].when"] || !keys["set.*.from"] {
		t.Fatalf("the walk of manifestSchema found %d keys, without the expected ones: %v", len(keys), keys)
	}

	src, err := os.ReadFile(manifestGuide)
	if err != nil {
		t.Fatal(err)
	}
	guide := string(src)

	c := jsonschema.NewCompiler()
	if err := c.AddResource("distgen:///manifest.schema.json", strings.NewReader(manifestSchema)); err != nil {
		t.Fatal(err)
	}
	ms, err := c.Compile("distgen:///manifest.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{}
	blocks := regexp.MustCompile("(?s)```json\n(.*?)```").FindAllStringSubmatch(guide, -1)
	if len(blocks) == 0 {
		t.Fatalf("%s has no json examples", manifestGuide)
	}
	for _, b := range blocks {
		var inst any
		if err := json.Unmarshal([]byte(b[1]), &inst); err != nil {
			t.Errorf("%s: example does not parse: %v\n%s", manifestGuide, err, b[1])
			continue
		}
		if err := ms.Validate(inst); err != nil {
			t.Errorf("%s: example is not a distgen.json that distgen accepts: %v\n%s", manifestGuide, err, b[1])
		}
		examplePaths(schema, inst, "", defs, used)
	}

	var missing, unused []string
	for k := range keys {
		if !strings.Contains(guide, "`"+k+"`") {
			missing = append(missing, k)
		}
		if !used[k] {
			unused = append(unused, k)
		}
	}
	for v := range enums {
		if !strings.Contains(guide, "`"+v+"`") {
			missing = append(missing, v)
		}
	}
	sort.Strings(missing)
	sort.Strings(unused)
	for _, k := range missing {
		t.Errorf("%s does not document %s, which distgen.json accepts (gen/manifest.go): name it in backquotes, `%s`, and say what it does", manifestGuide, k, k)
	}
	for _, k := range unused {
		t.Errorf("%s: no example uses %s: add it to an example", manifestGuide, k)
	}

	// Key paths the guide names (with * for a name, [] for an item) must be
	// accepted.
	roots := []string{}
	for k := range keys {
		if !strings.ContainsAny(k, ".[") {
			roots = append(roots, regexp.QuoteMeta(k))
		}
	}
	for name := range defs {
		roots = append(roots, regexp.QuoteMeta(name))
	}
	sort.Strings(roots)
	pathRE := regexp.MustCompile("`((?:" + strings.Join(roots, "|") + `)(?:\.\*|\.[\w$]+|\[\])+)` + "`")
	for _, m := range pathRE.FindAllStringSubmatch(guide, -1) {
		if !strings.ContainsAny(m[1], "*[") {
			continue // a file name (topics.go) or a concrete name, not a key path
		}
		if !keys[m[1]] && !maps[m[1]] {
			t.Errorf("%s names `%s`, which distgen.json does not accept (gen/manifest.go)", manifestGuide, m[1])
		}
	}
}
