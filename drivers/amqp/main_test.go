package amqp_test

import (
	"testing"

	"go.uber.org/goleak"
)

// No test may leave a goroutine behind: every Distributer, subscription and
// helper connection is closed by the end of the package's tests.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
