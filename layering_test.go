package distributer_test

import (
	"os/exec"
	"strings"
	"testing"
)

// The runtime packages import no driver: drivers sit above the runtime, and
// the embedded default (memory://) is registered from internal/memory. go
// list -deps lists every package each one imports, directly or not (test
// files excluded).
func TestRuntimeImportsNoDriver(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to list the runtime's imports: %v", err)
	}
	const module = "github.com/distributer/distributer"
	runtime := []string{".", "./driver", "./typed"}
	for _, pkg := range runtime {
		cmd := exec.Command(goTool, "list", "-deps", pkg)
		out, err := cmd.Output()
		if err != nil {
			msg := ""
			if ee, ok := err.(*exec.ExitError); ok {
				msg = string(ee.Stderr)
			}
			t.Fatalf("go list -deps %s: %v\n%s", pkg, err, msg)
		}
		deps := strings.Fields(string(out))
		if len(deps) == 0 || deps[len(deps)-1] != strings.TrimSuffix(module+"/"+strings.TrimPrefix(pkg, "./"), "/.") {
			t.Fatalf("go list -deps %s did not end with the package itself: %q", pkg, deps)
		}
		for _, dep := range deps {
			if strings.HasPrefix(dep, module+"/drivers/") {
				t.Errorf("runtime package %s imports %s: the runtime must not import a driver (register built-in drivers from an internal package, see internal/memory)", pkg, dep)
			}
		}
	}
}
