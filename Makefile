# Distributer: make targets. `make demo` runs the cortex pipeline on the
# in-process driver; `make test` runs every test, starting the brokers the
# tests need (see scripts/).
GO ?= go
export CGO_ENABLED ?= 1

.PHONY: all test test-unit test-serial bench generate check-generated demo lint brokers

all: lint test

# Everything, with the race detector. Broker-backed tests never skip here.
test: lint brokers
	$(GO) test -race -count=1 -timeout 12m ./...

brokers:
	./scripts/ensure-rabbitmq.sh

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

generate:
	$(GO) generate ./...

demo:
	$(GO) run ./cmd/cortex-demo

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
