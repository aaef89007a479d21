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
	$(BIN)/python -m components.flows

clean:
	rm -rf build .mypy_cache .pytest_cache .ruff_cache

# The real-engine tier (issue 6). Tools live outside the clone, keyed by version: a warm cache
# skips the build. See tools/README.md for the measured cold cost.
.PHONY: tools e2e

## tools: kube-apiserver built from Go modules + Debian's etcd (cached in DIFY_TOOLS_CACHE)
tools:
	tools/build.sh all

## pulumi-tools: Pulumi CLI, Python language host, kubernetes, random and tls providers from Go modules
## (cached in DIFY_TOOLS_CACHE; see tools/pulumi/README.md)
.PHONY: pulumi-tools
pulumi-tools:
	tools/pulumi/build.sh all >/dev/null

## monitoring-tools: promtool v3.14.0 and amtool v0.34.0 (the deployed versions) from Go modules
.PHONY: monitoring-tools
monitoring-tools:
	tools/monitoring/build.sh >/dev/null

## logging-tools: Filebeat from its Go module (beats 58af1537830b, the nearest to 8.19.20 the proxy
## serves; tools/logging/README.md), so `make test` runs it on the config we deploy
.PHONY: logging-tools
logging-tools:
	tools/logging/build.sh >/dev/null

## e2e: both stacks applied to a real kube-apiserver (dry run, apply, read back, pod security), then
## the dev stack through the real Pulumi CLI and providers (preview and up under the policy pack, a
## second up without changes, destroy; as shipped, with monitoring, with monitoring and logging:
## tests/e2e/test_pulumi_engine*.py), the pack's real-analyzer verdicts against the offline
## runner's, and Filebeat's Kubernetes metadata from a real API server
e2e: tools pulumi-tools logging-tools $(VENV)/.dev
	DIFY_E2E=1 $(BIN)/python -m pytest -m e2e tests/e2e tests/test_policy_engine.py tests/test_filebeat_live.py

# Mutation testing (issue 5): a benchmark, not part of `make test`. Configured in pyproject.toml
# [tool.mutmut]; mutmut keeps results in mutants/ and re-tests only what changed (`rm -rf mutants`
# for a clean run). Score and the survivors judged equivalent: docs/mutation.md.
.PHONY: mutation

$(VENV)/.mutation: requirements.txt requirements-dev.txt requirements-mutation.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-mutation.txt
	touch $(VENV)/.runtime $(VENV)/.dev $@

## mutation: mutmut over components/ (app, net, data, routing, workload, kube, aws, scaling, logging and
## their config modules); killed/checked per area
## (MUTANTS="<names or globs>" re-tests only those)
mutation: $(VENV)/.mutation
	$(BIN)/mutmut run --max-children $$(nproc) $(MUTANTS)
	@$(BIN)/mutmut results --all true | awk '{ sub(/^ +/, ""); n = index($$0, ": "); \
	  split(substr($$0, 1, n - 1), part, "."); area = part[1] "/" part[2]; status = substr($$0, n + 2); \
	  total[area]++; all++; if (status != "not checked") { run[area]++; r++ } if (status == "killed") { killed[area]++; k++ } } \
	  END { f = "%-22s killed %5d/%-5d %5.1f%%  (checked %d of %d)\n"; \
	  for (a in total) printf f, a, killed[a], run[a], 100 * killed[a] / (run[a] ? run[a] : 1), run[a], total[a] | "sort"; \
	  close("sort"); printf f, "overall", k, r, 100 * k / (r ? r : 1), r, all }'
