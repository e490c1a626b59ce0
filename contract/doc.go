// Package contract checks that Go code and JSON Schemas agree: it generates
// random valid JSON instances from a schema (seeded and reproducible),
// derives invalid instances from them by targeted mutations (each one naming
// the JSON pointer it changed), and runs per-topic contract checks that a
// consumer's tests call for the typed topics of a distgen-generated package.
//
// # Generating instances
//
// A Generator is built from the same files map that typed.Compile takes (slash
// separated path -> JSON text). Generator.Generate(ref, seed) returns an Instance
// valid for the schema at ref ("user.json", "envelope.json#/$defs/meta").
// The same ref and seed always give the same instance. Instance.Mutants
// returns invalid variants: a required property removed, a value of a wrong
// type, a number, string length or item count out of range, a value outside
// an enum or const, a string not matching its pattern, a property added where
// additionalProperties is false. Every instance and mutant is checked against
// the schema before it is returned, by the validator of package schema that
// typed and distgen use: a generated instance is always valid, a mutant
// always invalid. A Generator is loaded by package schema too (NewGenerator; Check uses
// the topic's typed.Schemas and its schema.Set), so contract accepts and
// refuses the schema sets typed.Compile and distgen accept and refuse.
//
// The generator understands: type (single and lists), enum, const,
// properties, required, additionalProperties, patternProperties,
// minProperties, dependentRequired, items, prefixItems (and draft-07 tuple
// items/additionalItems), minItems, maxItems, uniqueItems, contains,
// minimum, maximum, exclusiveMinimum, exclusiveMaximum (numeric and draft-04
// boolean forms), multipleOf, integer formats (int8..int64, uint8..uint64),
// number formats float/float32 (values a float32 holds exactly),
// minLength, maxLength, pattern, string formats (date-time, date, time,
// duration, email, hostname, ipv4, ipv6, uri, uri-reference, iri, uuid,
// json-pointer, regex), contentEncoding base64, $ref (relative paths, $id,
// $anchor, JSON pointers, draft-07 definitions), allOf (merged), oneOf and
// anyOf (a random branch, checked), if/then/else, and not (by rejection).
// Other keywords are enforced by rejection sampling: candidates that fail
// the schema are discarded and generation retries, so an unusual keyword
// costs retries, never an invalid instance; when no valid instance is found
// the error says which schema location could not be satisfied.
//
// Patterns: strings are produced from the pattern's syntax tree (Go regexp
// syntax, which is what jsonschema/v5 compiles patterns with): literals,
// character classes, ., alternation, groups, ?, *, +, {n,m}; anchors and
// word boundaries generate nothing and are checked afterwards. When no
// matching string of an allowed length is found, the schema's examples are
// used. Unbounded integers are drawn from [-2^40, 2^40] and unbounded
// numbers from [-1e6, 1e6], with extra weight on bounds, zero and small
// values; nesting deeper than MaxDepth keeps optional parts out.
package contract
