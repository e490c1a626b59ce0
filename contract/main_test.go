package contract

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if a goroutine outlives them: buses,
// subscriptions and services started by the helpers are all stopped.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
