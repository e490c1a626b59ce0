// Package compat decides whether a new version of a schema set can replace
// an old one without breaking producers or consumers: distgen breaking.
//
// For each topic it asks, in the mode the topic needs, whether every
// message one version accepts the other accepts (the subset relation of
// the sets of messages the schemas accept), by a keyword-by-keyword
// structural comparison in the manner of the schema registries' JSON
// Schema checkers (see compare.go for the method). Each shortfall is a
// Finding with a rule name (Rules, Mirror), the place in the new schema,
// the place in a message, whom it breaks (old or new readers) and a
// witness: a message accepted by the writer's schema and rejected by the
// reader's, made with the instance generator of package contract and
// checked by validating it against both.
//
// Schema sets come in as a Source (source.go), the one seam between the
// comparison and the schema loader. Compare and CompareBases are the Go
// API that distgen breaking and consumer tests call; docs/breaking.md is
// the guide.
package compat
