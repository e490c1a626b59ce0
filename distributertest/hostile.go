package distributertest

import "testing"

// hostileTests are the sub-tests of the hostile-input suite (Run runs them
// under "Hostile"): what another publisher, a careless caller or an attacker
// can send or do, and what every driver must still guarantee: no crash, no
// stall, nothing lost, nothing spoofed. Each area keeps its tests in a file
// hostile_<area>.go and lists them here.
var hostileTests = []struct {
	name string
	f    func(*testing.T, *Harness)
}{
	{"CloseDrainTimeout", testCloseDrainTimeout},
	{"CloseIsNotAnAttempt", testCloseIsNotAnAttempt},
	{"MaxMessageBytes", testMaxMessageBytes},
	{"URLQueryReadInFull", testURLQueryReadInFull},
	{"NumbersPublish", testHostileNumbersPublish},
	{"NumbersReceive", testHostileNumbersReceive},
	{"ValidatorPanic", testHostileValidatorPanic},
	{"ForgedTopicHeader", testForgedTopicHeader},
	{"ForgedAttemptHeader", testForgedAttemptHeader},
}

func testHostile(t *testing.T, h *Harness) {
	for _, tc := range hostileTests {
		t.Run(tc.name, func(t *testing.T) { tc.f(t, h) })
	}
}
