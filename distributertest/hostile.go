package distributertest

import "testing"

// hostileTests are the sub-tests of the hostile-input suite (Run runs them
// under "Hostile"): what another publisher, a careless caller or an attacker
// can send or do, and what every driver must still guarantee: no crash, no
// stall, nothing lost, nothing spoofed. Each area keeps its tests in a file
// hostile_<area>.go and lists them here, with the capabilities they need.
var hostileTests = []subtest{
	{"CloseDrainTimeout", testCloseDrainTimeout, 0},
	{"CloseIsNotAnAttempt", testCloseIsNotAnAttempt, needDurableGroups},
	{"MaxMessageBytes", testMaxMessageBytes, 0},
	{"URLQueryReadInFull", testURLQueryReadInFull, 0},
	{"NumbersPublish", testHostileNumbersPublish, 0},
	{"NumbersReceive", testHostileNumbersReceive, 0},
	{"ValidatorPanic", testHostileValidatorPanic, 0},
	{"ForgedTopicHeader", testForgedTopicHeader, 0},
	{"ForgedAttemptHeader", testForgedAttemptHeader, 0},
}

func testHostile(t *testing.T, h *Harness) { runAll(t, h, hostileTests) }
