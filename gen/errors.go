package gen

import "errors"

// Sentinel errors of the generator, beside those of package schema
// (schema.ErrSyntax, ErrSchema, ErrRef, ErrRemoteRef, ErrOutsideDir), which
// Load returns for the schema files. Every *schema.Error the generator
// returns wraps exactly one of them. Test with errors.Is.
var (
	// ErrUnsupported: a construct distgen cannot map to Go.
	ErrUnsupported = errors.New("unsupported construct")
	// ErrCollision: two declarations want the same Go or topic name.
	ErrCollision = errors.New("name collision")
	// ErrManifest: the topic declarations (distgen.json) are invalid.
	ErrManifest = errors.New("invalid topic declarations")
)
