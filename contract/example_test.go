package contract_test

import (
	"fmt"

	"github.com/distributer/distributer/contract"
)

var files = map[string]string{
	"user.json": `{
		"type": "object",
		"required": ["id", "gender"],
		"additionalProperties": false,
		"properties": {
			"id": {"type": "integer", "minimum": 1, "maximum": 999},
			"gender": {"enum": [0, 1, 2]}
		}
	}`,
}

// Generate returns the same valid instance for the same seed; Mutants
// derives invalid ones, each naming the JSON pointer it changed.
func ExampleGenerator_Generate() {
	set, err := contract.NewGenerator(files)
	if err != nil {
		panic(err)
	}
	in, err := set.Generate("user.json", 42)
	if err != nil {
		panic(err)
	}
	again, _ := set.Generate("user.json", 42)
	fmt.Println(string(in.JSON()) == string(again.JSON()), set.Validate("user.json", in.JSON()) == nil)
	for _, m := range in.Mutants() {
		fmt.Printf("%-20s %-19s valid: %v\n", m.Kind, m.Pointer, set.Validate("user.json", m.JSON()) == nil)
	}
	// Output:
	// true true
	// not-in-enum          /gender             valid: false
	// out-of-range         /id                 valid: false
	// wrong-type           /id                 valid: false
	// required-removed     /gender             valid: false
	// required-removed     /id                 valid: false
	// additional-property  /unexpectedProperty valid: false
	// wrong-type                               valid: false
}
