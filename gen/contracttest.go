package gen

import (
	"fmt"
	"go/ast"
	"go/format"
	goparser "go/parser"
	"go/token"
	"strings"
)

// ContractTestFile is the name of the file AddContractTest adds to the
// generated package.
const ContractTestFile = "contract_test.go"

// AddContractTest adds contract_test.go to files, the output of Generate for
// package pkg (distgen generate -contract-test): a test that
// runs contract.Check (package contract) on every typed topic
// handle of the package, that is every field of the generated TopicHandles
// struct. The handles are read from the generated topics.go, so the test
// follows the generator's naming. It is an error to ask for contract tests
// for a set that declares no topics.
func AddContractTest(files map[string][]byte, pkg string) error {
	src, ok := files["topics.go"]
	if !ok {
		return fmt.Errorf("contract test: the schema set declares no topics (no topics.go generated), so there is nothing to check")
	}
	fset := token.NewFileSet()
	f, err := goparser.ParseFile(fset, "topics.go", src, 0)
	if err != nil {
		return fmt.Errorf("contract test: parse generated topics.go: %w", err)
	}
	var handles []string
	ast.Inspect(f, func(n ast.Node) bool {
		ts, ok := n.(*ast.TypeSpec)
		if !ok || ts.Name.Name != "TopicHandles" {
			return true
		}
		if st, ok := ts.Type.(*ast.StructType); ok {
			for _, fld := range st.Fields.List {
				for _, name := range fld.Names {
					handles = append(handles, name.Name)
				}
			}
		}
		return false
	})
	if len(handles) == 0 {
		return fmt.Errorf("contract test: generated topics.go has no TopicHandles fields")
	}
	opts := "contract.Options{}"
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n// distgen %s (-contract-test). Regenerate with distgen generate; edit the schemas instead.\n\n", Header, Version)
	fmt.Fprintf(&b, "package %s\n\n", pkg)
	b.WriteString("import (\n\t\"testing\"\n\n\t\"github.com/distributer/distributer/contract\"\n)\n\n")
	b.WriteString(`// TestContract checks every topic of the package against its schema with
// contract.Check: the schemas' examples and generated instances round-trip
// through the Go types, and invalid variants are rejected by Publish and
// dead-lettered on receive. Set DISTRIBUTER_CONTRACT_SEED to try other
// instances; a failure prints the seed that reproduces it.
func TestContract(t *testing.T) {
`)
	for _, h := range handles {
		fmt.Fprintf(&b, "\tt.Run(Topics.%s.Name(), func(t *testing.T) { contract.Check(t, Topics.%s, %s) })\n", h, h, opts)
	}
	b.WriteString("}\n")
	out, err := format.Source([]byte(b.String()))
	if err != nil {
		return fmt.Errorf("contract test: format: %w", err)
	}
	files[ContractTestFile] = out
	return nil
}
