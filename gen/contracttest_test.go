package gen

import (
	"os"
	"strings"
	"testing"
)

func TestAddContractTest(t *testing.T) {
	set, err := Load(os.DirFS("../examples/cortex/schema"))
	if err != nil {
		t.Fatal(err)
	}
	files, err := Generate(set, Config{Package: "cortex"})
	if err != nil {
		t.Fatal(err)
	}
	if err := AddContractTest(files, "cortex"); err != nil {
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
	again, _ := Generate(set, Config{Package: "cortex"})
	_ = AddContractTest(again, "cortex")
	if string(again[ContractTestFile]) != src {
		t.Error("contract_test.go is not deterministic")
	}
}

func TestAddContractTestWithoutTopics(t *testing.T) {
	files := map[string][]byte{"types.go": []byte("package x\n")}
	err := AddContractTest(files, "x")
	if err == nil || !strings.Contains(err.Error(), "declares no topics") {
		t.Fatalf("err = %v", err)
	}
}
