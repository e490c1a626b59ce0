// Package memory is the embedded, in-process driver, registered as "memory".
package memory
