package driver

import (
	"fmt"
	"slices"
	"sync"
)

var (
	registryMu sync.RWMutex
	registry   = map[string]Driver{}
)

// Register makes a driver available under a URL scheme. It is meant to be
// called from a driver package's init function. It panics if d is nil or if
// the scheme is registered twice: both are programming errors.
func Register(scheme string, d Driver) {
	if d == nil {
		panic("driver: Register driver is nil")
	}
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := registry[scheme]; dup {
		panic(fmt.Sprintf("driver: Register called twice for scheme %q", scheme))
	}
	registry[scheme] = d
}

// Lookup returns the driver registered under scheme.
func Lookup(scheme string) (Driver, bool) {
	registryMu.RLock()
	defer registryMu.RUnlock()
	d, ok := registry[scheme]
	return d, ok
}

// Schemes returns the registered schemes, sorted.
func Schemes() []string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	s := make([]string, 0, len(registry))
	for k := range registry {
		s = append(s, k)
	}
	slices.Sort(s)
	return s
}
