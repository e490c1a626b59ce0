package gen

import (
	"errors"
	"os"
	"strings"
	"testing"
)

func TestContractTest(t *testing.T) {
	set, err := Load(os.DirFS("../examples/cortex/schema"))
	if err != nil {
		t.Fatal(err)
	}
	files, err := Generate(set, Config{Package: "cortex", ContractTest: true})
	if err != nil {
		t.Fatal(err)
	}
	src := string(files[ContractTestFile])
	if !IsGenerated(files[ContractTestFile]) {
		t.Errorf("contract_test.go lacks the generated-code header:\n%s", src)
	}
	for _, want := range []string{
		"// distgen " + Version + " (-contract-test).",
		"package cortex\n",
		`"github.com/distributer/distributer/contract"`,
		"func TestContract(t *testing.T) {",
		"t.Run(Topics.User.Name(), func(t *testing.T) { contract.Check(t, Topics.User, contract.Options{}) })",
		"contract.Check(t, Topics.RawPose,",
		"contract.Check(t, Topics.ParsedFeelings,",
	} {
		if !strings.Contains(src, want) {
			t.Errorf("contract_test.go lacks %q:\n%s", want, src)
		}
	}
	if n := strings.Count(src, "contract.Check("); n != len(set.Topics()) {
		t.Errorf("%d checks for %d topics", n, len(set.Topics()))
	}
	again, _ := Generate(set, Config{Package: "cortex", ContractTest: true})
	if string(again[ContractTestFile]) != src {
		t.Error("contract_test.go is not deterministic")
	}
	without, _ := Generate(set, Config{Package: "cortex"})
	if _, ok := without[ContractTestFile]; ok {
		t.Error("contract_test.go is generated without Config.ContractTest")
	}
}

// The contract test checks the handles the model names: a topic whose Go
// name is a member of Conn gets a handle with a suffix, and the test uses
// it.
func TestContractTestFollowsHandleNames(t *testing.T) {
	set, err := LoadFiles(map[string][]byte{
		"a.json":       []byte(`{"type": "string"}`),
		"distgen.json": []byte(`{"topics": {"close": {"schema": "a.json"}, "url": {"schema": "a.json"}}}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	files, err := Generate(set, Config{Package: "x", ContractTest: true})
	if err != nil {
		t.Fatal(err)
	}
	src := string(files[ContractTestFile])
	for _, h := range []string{"CloseTopic", "URLTopic"} {
		if !strings.Contains(src, "contract.Check(t, Topics."+h+",") || !strings.Contains(string(files["topics.go"]), "\t"+h+" ") {
			t.Errorf("handle %s is not checked or not generated:\n%s", h, src)
		}
	}
}

func TestContractTestWithoutTopics(t *testing.T) {
	set, err := LoadFiles(map[string][]byte{"a.json": []byte(`{"type": "string"}`)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Generate(set, Config{Package: "x", ContractTest: true})
	if !errors.Is(err, ErrManifest) || !strings.Contains(err.Error(), "declares no topics") {
		t.Fatalf("err = %v", err)
	}
}
