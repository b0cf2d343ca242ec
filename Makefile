# Cerro Torre build. `make build` puts every binary into ./bin/.
# The two fresh-machine commands (see README.md):
#   make demo   build everything and run the main job on the built-in sample image
#   make test   install what the tests need, then run every test (what CI runs)

GO      ?= go
BIN     := $(CURDIR)/bin
CMDS    := ct $(patsubst %/,%,$(wildcard ct-*/))
MODULES := lib tests $(CMDS)
GOFLAGS_BUILD := -trimpath

.PHONY: all build man check-man demo deps test go-test test-e2e fuzz-smoke vet fmt-check clean

all: build

build:
	@mkdir -p $(BIN)
	$(GO) build $(GOFLAGS_BUILD) -o $(BIN)/ $(addprefix ./,$(CMDS))

# Man pages are generated from the CLI definitions; check-man fails when the
# committed pages are stale.
man: build
	@mkdir -p man
	@for c in $(CMDS); do $(BIN)/$$c --man > man/$$c.1; done

check-man: build
	@d=$$(mktemp -d); for c in $(CMDS); do $(BIN)/$$c --man > $$d/$$c.1; \
	  if ! cmp -s $$d/$$c.1 man/$$c.1; then echo "man/$$c.1 is stale: run 'make man' and commit it"; diff -u man/$$c.1 $$d/$$c.1 | head -20; rm -rf $$d; exit 1; fi; done; rm -rf $$d; echo "man pages are up to date"

demo: build
	./scripts/demo.sh

# deps installs what the tests need on a fresh Debian machine (as root, or with sudo).
deps:
	./scripts/install-deps.sh

vet:
	@for m in $(MODULES); do (cd $$m && $(GO) vet ./...) || exit 1; done

fmt-check:
	@out=$$(gofmt -l $(MODULES)); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

go-test:
	@for m in $(MODULES); do (cd $$m && $(GO) test -count=1 ./...) || exit 1; done

# Short runs of every fuzz target over its seed corpus plus a few seconds of
# new inputs each, so a regression in a parser shows up in CI.
FUZZTIME ?= 10s
fuzz-smoke:
	./scripts/fuzz-smoke.sh $(FUZZTIME)

test: deps fmt-check vet build check-man go-test fuzz-smoke
	@echo "all tests passed"

clean:
	rm -rf $(BIN)
