// Package cortextest holds the tests of the generated cortex package as its
// users see it: the bytes on the wire against hand-written documents of the
// cortex wire format, the seed API's fan-out behaviour, misuse that must not
// compile, and the typed path's benchmarks. It has no non-test code.
package cortextest
