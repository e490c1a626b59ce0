# Distributer: make targets. `make demo` runs the cortex pipeline on the
# in-process driver; `make test` runs every test, starting the brokers the
# tests need (see scripts/).
GO ?= go
export CGO_ENABLED ?= 1

# staticcheck (honnef.co/go/tools), fetched through the module proxy at this
# version by `go run`, so it adds nothing to go.mod.
STATICCHECK_VERSION = v0.8.2

.PHONY: all test test-unit test-serial test-examples fuzz bench generate check-generated demo lint brokers breaking

all: lint test

# Everything, with the race detector. Broker-backed tests never skip here.
test: lint brokers
	$(GO) test -race -count=1 -timeout 12m ./...
	$(MAKE) --no-print-directory test-examples
	$(MAKE) --no-print-directory fuzz
	$(MAKE) --no-print-directory test-serial

# Tests that kill and restart RabbitMQ nodes (issue 7: a private 3-node
# cluster on loopback, never the broker on 5672). The build tag clustertest
# keeps them out of ./..., whose packages run in parallel; here they run
# alone, one package at a time, after everything else (about 2 minutes);
# -v shows each scenario's report (duplicates, publish stall, delivery gap).
CLUSTER_PKGS = ./internal/rabbitnode/ ./drivers/amqp/clustertest/
test-serial: brokers
	$(GO) vet -tags clustertest $(CLUSTER_PKGS)
	$(GO) test -race -count=1 -p 1 -timeout 10m -tags clustertest -run Cluster -v $(CLUSTER_PKGS)

# The consumer example, a separate module that ./... does not enter: its
# checked-in generated code must be what distgen makes of its schemas now
# (distgen check with the flags of its //go:generate line: exit 1 and a diff
# when stale), then its vet and tests (contract tests of every topic,
# service tests on memory://).
test-examples:
	cd examples/shipping/orders && $(GO) run github.com/distributer/distributer/cmd/distgen check -schemas ../schemas -out . -package orders -contract-test
	cd examples/shipping && $(GO) vet ./... && $(GO) test -race -count=1 ./...

# The hostile-input fuzz targets (issue 10), each for FUZZTIME: package
# path and target name. `go test -fuzz` takes one target per package run.
# A crasher is written to the package's testdata/fuzz/<Target>/ and fails
# the run; commit it there as a seed.
FUZZTIME ?= 15s
FUZZ_TARGETS = \
	./cmd/distgen:FuzzValidateReader \
	.:FuzzReceiveUntyped \
	./typed:FuzzReceiveTyped \
	./typed:FuzzLocate \
	./driver:FuzzRedactURL \
	./drivers/amqp:FuzzFrameFilter
# Go 1.26's fuzz coordinator can fail a run that found nothing with a bare
# "context deadline exceeded" when -fuzztime ends under CPU load
# (golang/go#75804, fixed in Go 1.27): such a run, with no failing input
# written, is reported and not counted as a failure.
fuzz:
	@for t in $(FUZZ_TARGETS); do \
		echo "fuzz $${t##*:} ($${t%%:*}, $(FUZZTIME))"; \
		if out=$$($(GO) test -run '^$$' -fuzz "^$${t##*:}\$$" -fuzztime $(FUZZTIME) $${t%%:*} 2>&1); then \
			echo "$$out" | tail -n 1; \
		elif echo "$$out" | grep -q 'Failing input written' || ! echo "$$out" | grep -q '^    context deadline exceeded$$'; then \
			echo "$$out"; exit 1; \
		else \
			echo "$$out" | grep -v '^fuzz: elapsed'; \
			echo "fuzz $${t##*:}: no failing input; the failure above is Go's fuzz shutdown race (golang/go#75804), ignored"; \
		fi; \
	done

brokers:
	./scripts/ensure-rabbitmq.sh

# Schema evolution (issue 13, docs/breaking.md): the schemas of the examples
# against the merge base of main (BREAKING_BASE=<rev or directory> to
# choose another), in FULL mode unless distgen.json says otherwise per topic.
# Exit 1 when a change breaks old or new readers.
BREAKING_BASE ?= $(shell git merge-base HEAD main 2>/dev/null || echo HEAD)
breaking:
	$(GO) run ./cmd/distgen breaking -schemas examples/cortex/schema -against $(BREAKING_BASE)
	$(GO) run ./cmd/distgen breaking -schemas examples/shipping/schemas -against $(BREAKING_BASE)

bench: brokers
	$(GO) test -run '^$$' -bench . -benchmem ./...
	$(GO) test -tags clustertest -run '^$$' -bench ClusterGroupQueue -benchtime 20000x ./drivers/amqp/clustertest/

generate:
	$(GO) generate ./...
	cd examples/shipping && $(GO) generate ./...

demo:
	$(GO) run ./examples/cortex/cmd/cortex-demo

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) -tags clustertest $(CLUSTER_PKGS)
	cd examples/shipping && $(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...
