package typed

// SupportPackageIsVersion1 is referenced by the code distgen generates
// (const _ = typed.SupportPackageIsVersion1), so that generated code which
// needs a newer runtime than the one it is built with fails to compile at
// that line, naming the version it needs, instead of failing elsewhere with
// a less clear error. A version constant is added whenever the generated
// code starts to need something new from this package (SupportPackageIsVersion2,
// ...); older ones stay as long as this package still supports code that
// references them.
//
// Version 1: Topic, Family, FanOut, Branches and Open, as used by the
// generated topics.go and types.go.
const SupportPackageIsVersion1 = true
