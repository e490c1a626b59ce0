// Package memory implements the embedded, in-process driver: buses, their
// routing tries, bounded queues and dead-letter logs.
//
// It is internal so that the runtime can register the default driver
// ("memory://", what Open uses for an empty URL) without importing a
// driver package: package distributer imports this package and registers
// Driver for Scheme in its init, and no runtime package (distributer,
// driver, typed) imports anything under drivers/. The public package
// drivers/memory holds the user-facing API (the URL options' documentation,
// DeadLetters, WaitDeadLetters, examples, the conformance test) and
// delegates here; see its documentation for the driver's semantics.
package memory
