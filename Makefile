# sesbox: `make demo` runs the TUI on the embedded demo mailbox, `make test`
# runs every test (installing the peer programs the tests start first when
# they are missing: see `peers`), `make lint` runs gofmt, go vet and
# staticcheck.
GO        ?= go
BIN       := bin/sesbox
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
LDFLAGS   := -X main.version=$(VERSION)
NPM_BIN   ?= $(CURDIR)/.peers/node_modules/.bin
GOBIN_DIR := $(shell $(GO) env GOBIN)
GOBIN_DIR := $(if $(GOBIN_DIR),$(GOBIN_DIR),$(shell $(GO) env GOPATH)/bin)
export SESBOX_NPM_BIN := $(NPM_BIN)
export PATH := $(GOBIN_DIR):$(PATH)

.PHONY: build demo test unit bench lint fuzz screenshots peers clean

build:
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/sesbox

demo: build
	./$(BIN) demo

# Unit and integration tests, with the race detector. Installs the peer
# programs first when they are missing.
test: peers
	$(GO) vet -tags integration ./...
	$(GO) test -race -tags integration -timeout 25m ./...

# Unit tests only (no peer processes).
unit:
	$(GO) test -race ./...

# The scale harness (bench/): a generated bucket in versitygw behind a
# simulated network, the real binary against it, every target printed as
# met or not next to baselines measured in the same run; results in
# bench/results.json. BENCH_N (default 10000), BENCH_RTT (20ms),
# BENCH_LINK_MBPS (50). Then the micro-benchmarks, each with its own
# same-run baseline.
bench: peers
	$(GO) test -tags bench -run '^TestBench$$' -count=1 -v -timeout 30m ./bench/
	$(GO) test -run '^$$' -bench . -benchtime 2s ./mailstore/... ./tui/...

# staticcheck is a Go tool pinned in tools.mod (go get -modfile=tools.mod -tool ...).
lint:
	test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)
	$(GO) vet -tags integration ./...
	$(GO) tool -modfile=tools.mod staticcheck -tags integration ./...

# A short fuzzing pass over each parser and the rewriter.
FUZZTIME ?= 30s
fuzz:
	@set -e; for t in mime:FuzzParse mime:FuzzSummarize mime:FuzzReceivedFor mime:FuzzTextLinks sanitize:FuzzText sanitize:FuzzLine sanitize:FuzzFilename sanitize:FuzzJSON \
		forward:FuzzRewrite forward:FuzzRewriteFolding compose:FuzzReplyHeaders compose:FuzzBuildHeaderLines compose:FuzzCleanAddress headerfold:FuzzFold report:FuzzParse \
		drafts:FuzzParse audit:FuzzMboxRoundTrip audit:FuzzManifestKeyRoundTrip audit:FuzzCheckManifest fwdlog:FuzzParse mime/tnef:FuzzDecode; do \
		echo "--- $$t"; $(GO) test -run '^$$' -fuzz "^$${t#*:}$$" -fuzztime $(FUZZTIME) ./mailstore/$${t%%:*}; \
	done

# The README's screenshots: TestScreenshots (cmd/sesbox) drives the TUI of
# `sesbox demo` with key presses and writes each screen as ANSI text;
# internal/tools/termpng draws them as PNGs on a fixed cell grid (every
# cell at column*width, CJK and emoji two cells wide), so the columns line
# up as in a terminal. The demo driver pins the clock and the action
# log's user@host, so a run changes only the PNGs whose screens changed.
# Its fonts come from Debian packages, installed
# with apt-get when a file is missing: fonts-dejavu-core (DejaVu Sans
# Mono: Latin, Cyrillic, Greek), fonts-noto-cjk (Noto Sans Mono CJK:
# Hangul, kana, Han), fonts-symbola (emoji and other symbols).
SCREENSHOT_FONTS := /usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf \
	/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf \
	/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc \
	/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc \
	/usr/share/fonts/truetype/ancient-scripts/Symbola_hint.ttf
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

screenshots:
	@for f in $(SCREENSHOT_FONTS); do test -f $$f || missing="$$missing $$f"; done; \
	if [ -n "$$missing" ]; then \
		command -v apt-get >/dev/null 2>&1 || { echo "missing fonts:$$missing (Debian: fonts-dejavu-core fonts-noto-cjk fonts-symbola)"; exit 1; }; \
		echo "--- installing fonts-dejavu-core fonts-noto-cjk fonts-symbola"; \
		$(SUDO) apt-get update && $(SUDO) apt-get install -y --no-install-recommends fonts-dejavu-core fonts-noto-cjk fonts-symbola || exit 1; \
	fi
	rm -rf .screenshots && mkdir -p .screenshots screenshots
	SESBOX_SCREENSHOTS=$(CURDIR)/.screenshots $(GO) test -run '^TestScreenshots$$' -count=1 ./cmd/sesbox/
	$(GO) run ./internal/tools/termpng -out screenshots .screenshots/*.ansi

# Installs the peer programs the tests start, when missing: versitygw (S3)
# into GOBIN; aws-ses-v2-local (SES v2), the SES forwarder Lambda (run
# under Node by the differential test of mailstore/forward) dynalite
# (DynamoDB) and fauxqs (SQS/SNS) into .peers/; tmux (Debian), in which
# the end-to-end test of cmd/sesbox drives the real binary.
peers:
	@command -v tmux >/dev/null 2>&1 || { echo "--- installing tmux"; \
		apt-get install -y -q tmux >/dev/null || { apt-get update -q && apt-get install -y -q tmux; }; }
	@command -v versitygw >/dev/null 2>&1 || { echo "--- installing versitygw v1.8.0"; \
		$(GO) install github.com/versity/versitygw/cmd/versitygw@v1.8.0; }
	@test -x $(NPM_BIN)/aws-ses-v2-local || { echo "--- installing aws-ses-v2-local 2.10.2"; mkdir -p .peers && \
		cd .peers && npm install --no-audit --no-fund --loglevel=error aws-ses-v2-local@2.10.2; }
	@grep -qs '"version": "6.0.0"' .peers/node_modules/aws-lambda-ses-forwarder/package.json || { \
		echo "--- installing aws-lambda-ses-forwarder 6.0.0"; mkdir -p .peers && \
		cd .peers && npm install --no-audit --no-fund --loglevel=error aws-lambda-ses-forwarder@6.0.0; }
	@test -x $(NPM_BIN)/dynalite || { echo "--- installing dynalite 4.0.0"; mkdir -p .peers && \
		cd .peers && npm install --no-audit --no-fund --loglevel=error dynalite@4.0.0; }
	@test -x $(NPM_BIN)/fauxqs || { echo "--- installing fauxqs 1.9.2"; mkdir -p .peers && \
		cd .peers && npm install --no-audit --no-fund --loglevel=error fauxqs@1.9.2; }

clean:
	rm -rf bin .screenshots
