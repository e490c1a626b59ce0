package gen

import (
	"fmt"
	"go/format"
	"strings"

	"github.com/distributer/distributer/schema"
)

// ContractTestFile is the name of the test file Generate adds with
// Config.ContractTest.
const ContractTestFile = "contract_test.go"

// errNoContractTopics is the error of Config.ContractTest for a set that
// declares no topics.
func errNoContractTopics() error {
	return &schema.Error{Kind: ErrManifest, Msg: "contract test: the schema set declares no topics, so there is nothing to check", Hint: "declare topics in distgen.json, or drop -contract-test (Config.ContractTest)"}
}

// emitContractTest renders contract_test.go (Config.ContractTest): a test
// that runs contract.Check (package contract) on the typed handle of every
// topic of the model, in the order of TopicHandles.
func (g *generator) emitContractTest() ([]byte, error) {
	opts := "contract.Options{}"
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n// distgen %s (-contract-test). Regenerate with distgen generate; edit the schemas instead.\n\n", Header, g.cfg.Version)
	fmt.Fprintf(&b, "package %s\n\n", g.cfg.Package)
	b.WriteString("import (\n\t\"testing\"\n\n\t\"github.com/distributer/distributer/contract\"\n)\n\n")
	b.WriteString(`// TestContract checks every topic of the package against its schema with
// contract.Check: the schemas' examples and generated instances round-trip
// through the Go types, and invalid variants are rejected by Publish and
// dead-lettered on receive. Set DISTRIBUTER_CONTRACT_SEED to try other
// instances; a failure prints the seed that reproduces it.
func TestContract(t *testing.T) {
`)
	for _, t := range g.api.topics {
		fmt.Fprintf(&b, "\tt.Run(Topics.%s.Name(), func(t *testing.T) { contract.Check(t, Topics.%s, %s) })\n", t.handle, t.handle, opts)
	}
	b.WriteString("}\n")
	out, err := format.Source([]byte(b.String()))
	if err != nil {
		return nil, fmt.Errorf("distgen: internal error formatting %s: %w", ContractTestFile, err)
	}
	return out, nil
}
