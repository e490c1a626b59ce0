// Package doccheck keeps the Markdown documentation of this repository (the
// README and the guides in docs/) true to the code. Its test, run by
// `go test ./...` and so by `make test`, reads every guide and checks:
//
//   - Go code blocks (```go) compile. A block that starts with "package" is a
//     file; a block of declarations is a file without its package clause; any
//     other block is its leading import declarations followed by statements,
//     which are type-checked as the body of a function. Packages the block
//     uses by name (distributer.Open, cortex.User, errors.As) are imported
//     without being written: every package of the repository's modules and
//     of the standard library is known by its name. Names the block uses
//     without declaring them (ctx, body, a handler defined in the prose) are
//     the reader's: they are allowed, as are variables declared and not used
//     and expressions shown for their value ("ve.Topic // the topic"). Any
//     other error fails the check, with the guide's file and line.
//   - A Go block marked <!-- fragment --> on the line before it is
//     deliberately partial: it must parse as Go declarations or statements
//     but is not type-checked.
//   - Shell commands: the lines of ```sh (bash, shell, console) blocks, the
//     lines of other blocks that start with "$ ", //go:generate lines, and
//     inline code that starts with make, distgen, or go run, tool, test,
//     vet, build or generate. make targets must exist in the Makefile; go
//     run, test, vet and build packages must exist (and go test's -run,
//     -bench and -fuzz patterns must match a test); a command of this
//     repository (go run of a main package, go tool NAME, or NAME itself,
//     such as distgen) must be given a sub-command and flags that it
//     accepts, as its -h output lists them (so a new sub-command or flag is
//     known as soon as it is written); cd directories must exist. Relative
//     paths are taken from the repository root, or from the directory named
//     by <!-- cwd: DIR --> on the line before the block; inline code may
//     also be meant for the root of another module of the repository
//     (examples/shipping).
//   - Go names of the repository's packages in inline code (`typed.Router`,
//     `distributer.Message.Topic`, `orders.TestContract`) exist: the package
//     declares the name (or, for a test function, one of its test files
//     does) and the type has the field or method.
//   - Every relative link resolves to an existing file or directory, and an
//     #anchor into a Markdown file names one of its headings.
//   - ```json blocks parse, unless marked <!-- fragment -->.
//
// The test also asserts that the README links every guide in docs/ and stays
// within 12 KB.
package doccheck
