# The two commands a fresh machine needs: `make synth` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STACK ?= dev

.PHONY: synth test lint typecheck pytest synth-all config-reference clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.runtime $@

## synth: render and validate the $(STACK) stack offline → build/$(STACK)/manifests
synth: $(VENV)/.runtime
	$(BIN)/python -m synth $(STACK) --timings --quiet
	@echo "manifests: build/$(STACK)/manifests/  resources: build/$(STACK)/resources.json"

synth-all: $(VENV)/.runtime
	@for stack in dev prod; do $(BIN)/python -m synth $$stack --timings --quiet || exit 1; done

## test: lint + type check + the pytest suite
test: lint typecheck pytest

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.dev
	$(BIN)/mypy

pytest: $(VENV)/.dev
	$(BIN)/python -m pytest

config-reference: $(VENV)/.runtime
	$(BIN)/python -m components.config.reference --write

clean:
	rm -rf build .mypy_cache .pytest_cache .ruff_cache

# The real-engine tier (issue 6). Tools live outside the clone, keyed by version: a warm cache
# skips the build. See tools/README.md for the measured cold cost.
.PHONY: tools e2e

## tools: kube-apiserver built from Go modules + Debian's etcd (cached in DIFY_TOOLS_CACHE)
tools:
	tools/build.sh all

## pulumi-tools: Pulumi CLI, Python language host, kubernetes + random providers from Go modules
## (cached in DIFY_TOOLS_CACHE; see tools/pulumi/README.md)
.PHONY: pulumi-tools
pulumi-tools:
	tools/pulumi/build.sh all >/dev/null

## e2e: both stacks applied to a real kube-apiserver (dry run, apply, read back, pod security)
e2e: tools $(VENV)/.dev
	DIFY_E2E=1 $(BIN)/python -m pytest -m e2e tests/e2e
