#!/usr/bin/env bash
# Builds the real Pulumi engine tier (issue 6, stage 2) from Go modules into a cache outside the
# clone, and installs the provider plugins into a PULUMI_HOME there, so the CLI never downloads.
#
#   tools/pulumi/build.sh          # build what is missing, then print `export …` lines (see env)
#   tools/pulumi/build.sh env      # only print PATH / PULUMI_HOME exports for the built tier
#   tools/pulumi/build.sh cli|language-python|kubernetes|random|tls   # one piece
#
# Layout, shared with tools/build.sh (DIFY_TOOLS_CACHE, default ~/.cache/dify-pulumi-tools):
#   gomod/ (GOMODCACHE)  gobuild/ (GOCACHE)  logs/<piece>.log(.time)
#   pulumi-<cli version>/bin/        pulumi, pulumi-language-python(+ -exec), pulumi-resource-*
#   pulumi-<cli version>/home/       PULUMI_HOME with the providers installed as plugins
#   pulumi-<cli version>/builds.tsv  wall time and peak RSS of each build (from /usr/bin/time -v)
#   src/                             writable copies of provider modules for their generate steps
# Only the `go` client and the Go module proxy are used. Versions and why they differ from the
# Python SDK pins: tools/pulumi/README.md.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
cache="${DIFY_TOOLS_CACHE:-$HOME/.cache/dify-pulumi-tools}"
export GOMODCACHE="$cache/gomod" GOCACHE="$cache/gobuild" GOFLAGS=-modcacherw GOTOOLCHAIN=local
export CGO_ENABLED=0 PULUMI_SKIP_UPDATE_CHECK=1

# The CLI version is the one its go.mod requires: the single place it is pinned.
cli_version="$(awk '$1 == "github.com/pulumi/pulumi/pkg/v3" { print $2; exit }' "$here/cli/go.mod")"
root="$cache/pulumi-$cli_version"
bin="$root/bin"
export PULUMI_HOME="$root/home"

# kubernetes: the proxy serves one pseudo-version of provider/v4 (commit f47bc2d6f199, the
# v4.25.0 release); v4.34.2 (any provider/v4 tag) answers 403. Its `../sdk` replace becomes the
# published sdk/v4 of the same release. It is installed as the plugin version the Python SDK
# (pulumi-kubernetes==4.34.2) asks for, so the engine finds it locally.
k8s_module=github.com/pulumi/pulumi-kubernetes/provider/v4
k8s_rev=v4.0.0-20260115033456-f47bc2d6f199
k8s_release=4.25.0
k8s_plugin=4.34.2
# random: the proxy refuses github.com/pulumi/pulumi-random/provider/v4 at every version;
# tools/pulumi/random bridges the same Terraform provider itself (see its provider.go).
random_plugin=4.21.4
# tls: the proxy refuses github.com/pulumi/pulumi-tls/provider/v5 (and v4) at every version;
# tools/pulumi/tls bridges the Terraform tls provider the same way (see its provider.go).
tls_plugin=5.6.2

mkdir -p "$cache/logs" "$bin" "$PULUMI_HOME"

# measure NAME CMD…: run CMD with /usr/bin/time -v, log to logs/NAME.log, record wall and peak RSS.
measure() {
  local name="$1" log="$cache/logs/$1.log"
  shift
  echo "build.sh: $name …" >&2
  if ! /usr/bin/time -v -o "$log.time" "$@" >"$log" 2>&1; then
    tail -40 "$log" >&2
    echo "build.sh: $name failed; full log: $log" >&2
    exit 1
  fi
  local wall rss
  wall="$(awk -F': ' '/Elapsed \(wall clock\)/ { print $2 }' "$log.time")"
  rss="$(awk -F': ' '/Maximum resident set size/ { printf "%.0f MB", $2 / 1024 }' "$log.time")"
  printf '%s\t%s\t%s\t%s\n' "$name" "$wall" "$rss" "$(date -u +%FT%TZ)" >>"$root/builds.tsv"
  echo "build.sh: $name done in $wall, peak RSS $rss" >&2
}

# fresh NAME DIR: true when bin/NAME exists and was built from DIR's current sources (our own
# modules change with the repo; upstream pieces are keyed by version instead).
sources_sum() { (cd "$2" && find . -type f \( -name '*.go' -o -name 'go.mod' -o -name 'go.sum' \) | sort | xargs sha256sum | sha256sum | cut -c1-16); }
fresh() { [ -x "$bin/$1" ] && [ "$(cat "$bin/.$1.sum" 2>/dev/null)" = "$(sources_sum "$1" "$2")" ]; }
stamp() { sources_sum "$1" "$2" >"$bin/.$1.sum"; }

module_dir() { # MODULE@VERSION → its directory in the module cache (downloaded if needed)
  (cd / && go mod download -json "$1" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
}

build_cli() {
  [ -x "$bin/pulumi" ] && return
  measure cli bash -c "cd '$here/cli' && go build -trimpath -o '$bin/pulumi.tmp' \
    -ldflags '-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$cli_version' \
    github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
  mv "$bin/pulumi.tmp" "$bin/pulumi"
}

build_language_python() {
  fresh pulumi-language-python "$here/language-python" && [ -f "$bin/pulumi-language-python-exec" ] && return
  local sdk_version sdk
  sdk_version="$(awk '$1 == "github.com/pulumi/pulumi/sdk/v3" { print $2; exit }' "$here/language-python/go.mod")"
  sdk="$(module_dir "github.com/pulumi/pulumi/sdk/v3@$sdk_version")"
  measure language-python bash -c "cd '$here/language-python' && go build -trimpath \
    -o '$bin/pulumi-language-python.tmp' -ldflags '-s -w -X main.version=${sdk_version#v}' ."
  # The SDK's own driver script, which the host runs in the project's virtualenv.
  install -m 0755 "$sdk/python/cmd/pulumi-language-python-exec" "$bin/pulumi-language-python-exec"
  mv "$bin/pulumi-language-python.tmp" "$bin/pulumi-language-python"
  stamp pulumi-language-python "$here/language-python"
}

build_kubernetes() {
  local out="$bin/pulumi-resource-kubernetes"
  [ -x "$out" ] && return
  local src="$cache/src/pulumi-kubernetes-provider-$k8s_rev"
  if [ ! -f "$src/.prepared" ]; then
    rm -rf "$src"
    mkdir -p "$(dirname "$src")"
    cp -r "$(module_dir "$k8s_module@$k8s_rev")" "$src"
    chmod -R u+w "$src"
    # The module's go.mod replaces sdk/v4 with ../sdk (its repository checkout); outside the
    # repository that is the published sdk/v4 of the same release. Then its go:generate step
    # (cmd/pulumi-resource-kubernetes/generate.go) writes the schema and mapping it embeds.
    measure kubernetes-generate bash -c "cd '$src' \
      && go mod edit -replace=github.com/pulumi/pulumi-kubernetes/sdk/v4=github.com/pulumi/pulumi-kubernetes/sdk/v4@v$k8s_release \
      && go mod tidy \
      && cd cmd/pulumi-resource-kubernetes && VERSION=$k8s_release go generate ."
    touch "$src/.prepared"
  fi
  measure kubernetes bash -c "cd '$src' && go build -trimpath -o '$out.tmp' \
    -ldflags '-s -w -X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=$k8s_release' \
    ./cmd/pulumi-resource-kubernetes"
  mv "$out.tmp" "$out"
}

# build_bridged NAME VERSION: a provider bridged here from its Terraform provider (NAME/, see
# random/provider.go and tls/provider.go): tfgen writes schema.json and bridge-metadata.json,
# which the provider binary embeds: build the generator, run it into a writable copy of the
# provider command, build from that copy.
build_bridged() {
  local name="$1" version="$2"
  local out="$bin/pulumi-resource-$name" dir="$here/$name" ldflag="-X dify.local/tools/pulumi/$name.Version=$version"
  fresh "pulumi-resource-$name" "$dir" && return
  local gen="$cache/src/pulumi-$name-$version"
  if [ ! -f "$gen/.prepared" ] || [ "$(cat "$gen/.prepared")" != "$(sources_sum x "$dir")" ]; then
    rm -rf "$gen"
    mkdir -p "$gen"
    cp -r "$dir/." "$gen/"
    chmod -R u+w "$gen"
    measure "$name-tfgen" bash -c "cd '$gen' && go build -trimpath -o '$gen/pulumi-tfgen-$name' \
      -ldflags '$ldflag' ./cmd/pulumi-tfgen-$name \
      && PULUMI_SKIP_MISSING_MAPPING_ERROR=true ./pulumi-tfgen-$name schema --out cmd/pulumi-resource-$name"
    sources_sum x "$dir" >"$gen/.prepared"
  fi
  measure "$name" bash -c "cd '$gen' && go build -trimpath -o '$out.tmp' \
    -ldflags '-s -w $ldflag' ./cmd/pulumi-resource-$name"
  mv "$out.tmp" "$out"
  stamp "pulumi-resource-$name" "$dir"
}

install_plugin() { # NAME VERSION: install bin/pulumi-resource-NAME as that plugin unless it is already
  local name="$1" version="$2" file="$bin/pulumi-resource-$1"
  local installed="$PULUMI_HOME/plugins/resource-$name-v$version/pulumi-resource-$name"
  cmp -s "$file" "$installed" && return
  [ -e "$installed" ] && "$bin/pulumi" plugin rm resource "$name" "$version" --yes >&2
  # `--file` installs the binary we built; with PULUMI_HOME here nothing is downloaded.
  "$bin/pulumi" plugin install resource "$name" "$version" --file "$file" >&2
}

install_plugins() {
  install_plugin kubernetes "$k8s_plugin"
  install_plugin random "$random_plugin"
  install_plugin tls "$tls_plugin"
}

print_env() {
  echo "export PATH=\"$bin:\$PATH\""
  echo "export PULUMI_HOME=\"$PULUMI_HOME\""
}

# One build at a time on this cache (another make run may share it); tools/build.sh's
# kube-apiserver build uses its own lock and may run alongside.
exec 8>"$cache/.pulumi-build.lock"
flock 8

case "${1:-all}" in
  env) ;;
  cli) build_cli ;;
  language-python) build_language_python ;;
  kubernetes) build_kubernetes ;;
  random) build_bridged random "$random_plugin" ;;
  tls) build_bridged tls "$tls_plugin" ;;
  plugins) install_plugins ;;
  all)
    build_cli
    build_language_python
    build_kubernetes
    build_bridged random "$random_plugin"
    build_bridged tls "$tls_plugin"
    install_plugins
    ;;
  *)
    echo "usage: $0 [all|env|cli|language-python|kubernetes|random|tls|plugins]" >&2
    exit 2
    ;;
esac
print_env
