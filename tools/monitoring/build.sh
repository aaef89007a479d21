#!/usr/bin/env bash
# Builds promtool and amtool at the versions we deploy (components/versions.py: Prometheus
# v3.14.0, Alertmanager v0.34.0) from their Go modules into the tools cache, so the rule tests
# run the checker of the Prometheus that will load the rules (tests/test_monitoring_rules.py
# falls back to Debian's 2.42 / 0.25, which lacks Kubernetes discovery). Same cache and flags
# as tools/build.sh; only the `go` client and the module proxy are used.
set -euo pipefail
cache="${DIFY_TOOLS_CACHE:-$HOME/.cache/dify-pulumi-tools}"
export GOMODCACHE="$cache/gomod" GOCACHE="$cache/gobuild" GOFLAGS=-modcacherw GOTOOLCHAIN=local CGO_ENABLED=0

amtool="$cache/amtool-v0.34.0/amtool"
if [ ! -x "$amtool" ]; then
  GOBIN="$(dirname "$amtool")" go install -trimpath github.com/prometheus/alertmanager/cmd/amtool@v0.34.0
fi
echo "$amtool"

# Prometheus v3.N.M is Go module version v0.3NN.M. Its go.mod has a replace directive, so
# `go install pkg@version` refuses it: build inside a throwaway module that repeats the replace.
promtool="$cache/promtool-v3.14.0/promtool"
if [ ! -x "$promtool" ]; then
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  cat > "$work/go.mod" <<'MOD'
module dify.local/promtool

go 1.25.8

require github.com/prometheus/prometheus v0.314.0

replace cloud.google.com/go => cloud.google.com/go v0.123.0
MOD
  printf '//go:build tools\n\npackage tools\n\nimport _ "github.com/prometheus/prometheus/cmd/promtool"\n' > "$work/tools.go"
  (cd "$work" && go mod tidy && go build -trimpath -o "$promtool" github.com/prometheus/prometheus/cmd/promtool)
fi
echo "$promtool"
