// Package gen turns a set of JSON Schemas into a Go package: types for the
// schemas, the schemas themselves (for validation at run time) and typed
// handles for the topics that the set's distgen.json declares: data and
// one-line methods over the runtime of package typed, which holds the
// logic. The distgen command (cmd/distgen) is its command-line front end;
// most users run it through go generate rather than calling this package.
//
// Generation has two steps. [Load] (or [LoadFiles]) reads a directory of
// schemas with package schema, the schema core typed and contract use too
// (JSON Schema 2020-12, 2019-09 or draft-07; references between files are
// relative paths or $ids, never fetched from the network), reads
// distgen.json ([ManifestFile]) and checks everything once: every problem
// is a *schema.Error with its kind (errors.Is against schema.ErrSyntax,
// [ErrManifest] and the other sentinels), file, line, column, JSON pointer
// and a hint; several are returned together as a schema.ErrorList.
// [Generate] then builds the model of the Go package from the loaded
// [Input]: the Go types, every generated name, and the declarations checked
// against those types (set rules, routes, fan-outs, name collisions), with
// errors of the same kinds. Only a complete model is rendered, into files
// (types.go, schemas.go and, when distgen.json declares topics, topics.go
// and handlers.go;
// with [Config].ContractTest, contract_test.go), deterministically and
// gofmt-clean, each starting with [Header]; the package's doc.go, with
// its go:generate line, is yours. [Write] writes them and [Compare]
// reports stale, missing and extra files (distgen check).
//
// The vocabulary of distgen.json (envelopes, topics, families with their
// fan-outs, entries and set rules) is described in docs/distgen-json.md,
// every key with an example; the type mapping and the command line in
// docs/distgen.md.
package gen
