# Client Analyze — see README.md. Every target installs what it needs through `deps`.
SHELL := /bin/bash
# A recipe line fails when any command of a pipe fails: `swift build | tail -1` must not hide a failed build.
.SHELLFLAGS := -o pipefail -c
.DEFAULT_GOAL := help

VENV        := .venv
PYTHON      := $(VENV)/bin/python
APT_PACKAGES := pkg-config protobuf-compiler protobuf-c-compiler libprotobuf-c-dev libnghttp2-dev libmimalloc-dev nghttp2-client valgrind prometheus libsqlite3-dev libcairo2-dev libpango1.0-dev fonts-dejavu-core poppler-utils qpdf curl tarantool libmsgpuck-dev rabbitmq-server librabbitmq-dev prometheus-alertmanager chromium chromium-driver kubectl dnsmasq-base libcurl4-openssl-dev podman runc debootstrap
GENERATED   := Shared/ContractsC Shared/Contracts/Generated Tests/ContractsTestSupport/Generated Services/Gateway/Service/MCP/ProviderSpecs.generated.swift Services/Gateway/Service/Web/WebAssets.generated.swift compose/kubernetes/overlays/production/prometheus-rules.yaml
MEMCHECK_ITERATIONS ?= 3
# Release builds link the Swift runtime and Foundation statically: each executable then maps only what it uses,
# which keeps an idle service near 35 MiB instead of 38–40 (issue 4's 40 MB target).
RELEASE     := swift build -c release --static-swift-stdlib
# The executables in the services image: the ones its Containerfile checks.
IMAGE_PRODUCTS := $(shell sed -n 's/.*for product in \([a-z -]*\); do.*/\1/p' compose/images/services.Containerfile)

.PHONY: help deps generate check-generated build test test-compose check-memory bench coverage run compose-up compose-down clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

deps: $(VENV)/.installed ## Install the Debian packages and the Python test tools (idempotent)
	@missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed$$' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "deps: installing $$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

$(VENV)/.installed: Tests/Interop/requirements.txt
	@echo "deps: creating $(VENV) for the Python interop tests"
	@python3 -m venv $(VENV)
	@$(PYTHON) -m pip install -q --disable-pip-version-check -r Tests/Interop/requirements.txt
	@touch $@

generate: deps ## Regenerate protoc-c output, the Swift bridge and the descriptor set from proto/
	@proto/generate.sh
	@python3 scripts/embed-provider-specs.py
	@python3 scripts/embed-web-assets.py
	@$(PYTHON) scripts/kubernetes-rules.py

check-generated: generate ## Fail if the committed generated code differs from what `make generate` writes
	@changes=$$(git status --porcelain -- $(GENERATED)); \
	if [ -n "$$changes" ]; then echo "generated code is stale; run 'make generate' and commit:"; echo "$$changes"; exit 1; fi
	@echo "generated code is current"

build: deps ## Build everything (debug)
	@scripts/build-info.sh
	swift build --build-tests

test: deps ## Run the whole test suite (Swift tests, Python interop and system tests)
	@scripts/build-info.sh
	@swift build --build-tests 2>&1 | tail -1
	@start=$$SECONDS; \
	swift test --skip-build 2>&1 | grep -v -E '^(◇|↳|Test Suite|	 Executed)' ; status=$${PIPESTATUS[0]}; \
	[ $$status -eq 0 ] || exit $$status; \
	CONTRACTS_TOOL=$$(swift build --show-bin-path)/contracts-tool \
		$(PYTHON) -m pytest -q Tests/Interop || exit 1; \
	echo "tests took $$((SECONDS - start)) s (after the build)"

check-memory: deps ## Encode/decode/reject loops under valgrind: no leaks, no invalid accesses
	@swift build --product contracts-tool 2>&1 | tail -1
	@# Debian's valgrind 3.19 cannot read the DWARF 5 that Swift emits; a copy without debug sections keeps the
	@# symbol names, so reports still name the functions.
	@mkdir -p .build/memcheck
	@objcopy --strip-debug $$(swift build --show-bin-path)/contracts-tool .build/memcheck/contracts-tool
	valgrind --quiet --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite \
		--show-leak-kinds=definite .build/memcheck/contracts-tool memcheck --iterations $(MEMCHECK_ITERATIONS)
	@echo "memory check clean"

bench: deps ## Benchmarks (release build): contracts, gRPC with h2load, executables' start-up, storage over RPC, report rendering, the analysis pipeline, the gateway, MCP, the web app; results in bench-results/
	@mkdir -p bench-results
	$(RELEASE) --product contracts-bench 2>&1 | tail -1
	$(RELEASE) --product interop-server 2>&1 | tail -1
	$$(swift build -c release --show-bin-path)/contracts-bench | tee bench-results/contracts.txt
	Tests/Benchmarks/contracts_instructions.sh $$(swift build -c release --show-bin-path)/contracts-bench | tee -a bench-results/contracts.txt
	python3 Tests/Benchmarks/rpc_bench.py $$(swift build -c release --show-bin-path)/interop-server
	Tests/Benchmarks/rpc_instructions.sh $$(swift build -c release --show-bin-path)/interop-server | tee -a bench-results/rpc.txt
	@scripts/build-info.sh
	for product in gateway analyzer report-renderer storage; do $(RELEASE) --product $$product 2>&1 | tail -1; done
	python3 Tests/Benchmarks/startup_bench.py $$(swift build -c release --show-bin-path)
	$(RELEASE) --product storage-bench 2>&1 | tail -1
	Tests/Benchmarks/storage_bench.sh $$(swift build -c release --show-bin-path)
	$(RELEASE) --product renderer-bench 2>&1 | tail -1
	$$(swift build -c release --show-bin-path)/renderer-bench | tee bench-results/renderer.txt
	$(RELEASE) --product analyzer-bench 2>&1 | tail -1
	$$(swift build -c release --show-bin-path)/analyzer-bench | tee bench-results/analyzer.txt
	for product in provider-sandbox cla; do $(RELEASE) --product $$product 2>&1 | tail -1; done
	CLA_BIN_DIR=$$(swift build -c release --show-bin-path) $(PYTHON) Tests/Benchmarks/gateway_bench.py
	CLA_BIN_DIR=$$(swift build -c release --show-bin-path) $(PYTHON) Tests/Benchmarks/mcp_bench.py
	CLA_BIN_DIR=$$(swift build -c release --show-bin-path) $(PYTHON) Tests/Benchmarks/web_bench.py

coverage: deps ## Line coverage per target from the Swift tests
	swift test --enable-code-coverage 2>&1 | tail -1
	@scripts/coverage-report.sh

run: deps ## Start the stack, analyse a sandbox company (INN=… to choose), save its PDF under out/; Ctrl-C stops
	@scripts/build-info.sh
	@echo "make run: building (the first build takes several minutes on 2 cores)"
	@swift build 2>&1 | tail -1
	@INN=$(INN) $(PYTHON) scripts/run.py

compose-up: deps ## The compose stack under podman (images built here, no registry): release binaries, Tarantool, RabbitMQ, Prometheus, Alertmanager
	@scripts/build-info.sh
	@for product in $(IMAGE_PRODUCTS); do $(RELEASE) --product $$product 2>&1 | tail -1; done
	@CLA_BIN_DIR=$$($(RELEASE) --show-bin-path) scripts/compose.sh up

test-compose: deps ## The compose stack under podman, tested: analysis to a PDF, scraping, 3 analyzers with one killed mid-batch, clean teardown
	@scripts/build-info.sh
	@for product in $(IMAGE_PRODUCTS); do $(RELEASE) --product $$product 2>&1 | tail -1; done
	@start=$$SECONDS; \
	CLA_BIN_DIR=$$($(RELEASE) --show-bin-path) $(PYTHON) -m pytest -q -s Tests/Compose || exit 1; \
	echo "compose tests took $$((SECONDS - start)) s (after the release build)"

compose-down: ## Stop the compose stack and remove its containers, networks and volumes
	@scripts/compose.sh down

clean: ## Remove build output
	rm -rf .build bench-results
