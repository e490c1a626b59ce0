//go:build !unix

package memory_test

import "time"

// cpuTime is not measured on this platform.
func cpuTime() time.Duration { return 0 }
