// Package cputime measures the CPU time of the process, for benchmarks: on
// a shared machine it measures the work done far more steadily than the
// wall clock does.
package cputime

import "time"

// Process returns the CPU time (user + system) the process has used so
// far, all its threads together; 0 where it is not measured.
func Process() time.Duration { return process() }
