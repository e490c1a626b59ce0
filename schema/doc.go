// Package schema is the one schema core of the module: everything about a
// set of JSON Schemas that more than one place needs, so that a schema set
// and a message get the same verdict from the generator (package gen and
// distgen generate), from typed.Schemas (Publish and the receiving side),
// from distgen validate, from package contract and from the oneOf/anyOf
// matchers of generated code.
//
// A Set holds the files of a schema directory: read by ReadDir (symbolic
// links out of the directory refused) or given to LoadFiles, parsed with
// their member order and byte offsets (Parse, Node, LineCol), their draft
// read from $schema (draft-07, 2019-09 or 2020-12), their $id and $anchor
// declarations indexed, every $ref resolved inside the set by one rule set
// (Resolve, Lookup; see Set), remote references refused with ErrRemoteRef,
// cycles of in-place references refused, and every file checked against
// its draft's meta-schema and compiled. Compiling and validating (Compile,
// Validate, ValidateJSON) use one jsonschema/v5 configuration: one base URL
// (BaseURL), the files served only from the set, the formats of
// AssertedFormats asserted in every draft (other formats are annotations),
// an empty enum accepting nothing, and the number guard of the module in
// front of the validator.
//
// Problems are *Error values (several: an ErrorList) with the file, line,
// column and JSON pointer of the offending value, a message and a hint,
// wrapping one of ErrSyntax, ErrSchema, ErrRef, ErrRemoteRef and
// ErrOutsideDir.
package schema
