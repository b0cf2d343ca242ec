# Cerro Torre build. `make build` puts every binary into ./bin/.
# The two fresh-machine commands (see README.md):
#   make demo   build everything and run the main job on the built-in sample image
#   make test   install what the tests need, then run every test (what CI runs)
# and, for developers:
#   make fuzz   explore with every fuzz target (FUZZTIME each, default 10s)

GO      ?= go
BIN     := $(CURDIR)/bin
CMDS    := ct $(patsubst %/,%,$(wildcard ct-*/))
# Every module of the workspace: each folder with a go.mod.
MODULES := $(patsubst %/go.mod,%,$(wildcard */go.mod))
GOFLAGS_BUILD := -trimpath

.PHONY: all build man check-man demo deps test go-test fuzz fuzz-corpus vet fmt-check clean

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

# The Go tests of every module. This also replays, deterministically, every
# fuzz target's seed corpus (f.Add) and every committed finding in its
# package's testdata/fuzz/FuzzX/: plain `go test` runs fuzz targets as tests
# over those inputs and never generates new ones.
go-test:
	@for m in $(MODULES); do (cd $$m && $(GO) test -count=1 ./...) || exit 1; done

# Fails when a committed fuzz input belongs to no fuzz target (go test would
# silently not replay it).
fuzz-corpus:
	./scripts/check-fuzz-corpus.sh

# Exploring is not part of `make test`: new random inputs can find a bug that
# has nothing to do with the change under test, and CI must not fail by
# chance. Developers run `make fuzz` (every target for FUZZTIME) and commit
# each input it writes under testdata/fuzz together with the fix.
FUZZTIME ?= 10s
fuzz:
	./scripts/fuzz.sh $(FUZZTIME)

test: deps fmt-check vet build check-man fuzz-corpus go-test
	@echo "all tests passed"

clean:
	rm -rf $(BIN)
