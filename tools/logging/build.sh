#!/usr/bin/env bash
# Builds Filebeat (issue 10) from its Go module into the shared tools cache, so
# tests/test_filebeat_live.py runs `filebeat test config` and a live run on the config we deploy.
#
#   tools/logging/build.sh            # prints the binary's path; builds only if the cache is cold
#
# Layout, shared with tools/build.sh and tools/pulumi/build.sh
# (DIFY_TOOLS_CACHE, default ~/.cache/dify-pulumi-tools):
#   filebeat-<rev>/filebeat        the binary, keyed by the beats revision (bump → new dir)
#   filebeat-<rev>/builds.tsv      wall time and peak RSS of each build (/usr/bin/time -v)
#   logs/filebeat.log(.time)       the build's output
#   gomod/ (GOMODCACHE)  gobuild/ (GOCACHE)
# Only the `go` client and the Go module proxy are used. Which revision and why it is not the
# 8.19 we deploy: tools/logging/README.md.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
cache="${DIFY_TOOLS_CACHE:-$HOME/.cache/dify-pulumi-tools}"
export GOMODCACHE="$cache/gomod" GOCACHE="$cache/gobuild" GOFLAGS=-modcacherw GOTOOLCHAIN=local
# Upstream's mage build links with cgo only for the journald input (libsystemd); we collect
# container log files, so the static build is enough and needs no C toolchain.
export CGO_ENABLED=0

# github.com/elastic/beats/v7 is the module path even for 8.x/9.x: release tags resolve only as
# pseudo-versions, and the proxy here answers 403 for every 8.19.x revision tried. This one is
# the beats revision Elastic's own elastic-agent v8.18.0–v8.18.8 pin in go.mod; the checksum
# database does not list it here, so its hashes come from elastic-agent v8.18.8's go.sum and go
# verifies the download against them.
beats_module=github.com/elastic/beats/v7
beats_rev=v7.0.0-alpha2.0.20241212201805-58af1537830b
beats_sum='github.com/elastic/beats/v7 v7.0.0-alpha2.0.20241212201805-58af1537830b h1:BMd6gkQF5Zk4rQ7ZbySgUpF5dPZFy4zAzV3Ujds6fw4=
github.com/elastic/beats/v7 v7.0.0-alpha2.0.20241212201805-58af1537830b/go.mod h1:JZIuztvKeiuHUM8zvfQ24wz6nJPPOM1DVqu9FHu9a0Q='
commit=58af1537830b
root="$cache/filebeat-$commit"
out="$root/filebeat"

if [ -x "$out" ]; then echo "$out"; exit 0; fi

mkdir -p "$cache/logs" "$root"
# Another make run may build at the same time: serialise and re-check.
exec 9>"$cache/.build-filebeat.lock"
flock 9
if [ -x "$out" ]; then echo "$out"; exit 0; fi

# Beats' go.mod carries replace directives (forks of goja, fsnotify, gopacket, …) that only apply
# in the main module, so `go install pkg@rev` refuses it. Build in a throwaway module whose go.mod
# is beats' own (module line renamed, beats itself required): the same replaces and the same
# selected versions upstream builds with. `go mod tidy` is avoided on purpose: it resolves the
# test-only imports of dependencies at their newest release and drags the whole OpenTelemetry
# tree to versions beats never built with.
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
printf 'module dify.local/probe\n\ngo 1.22.9\n\nrequire %s %s\n' "$beats_module" "$beats_rev" >"$work/go.mod"
printf '%s\n' "$beats_sum" >"$work/go.sum"
src="$(cd "$work" && go mod download -json "$beats_module" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
[ -d "$src" ] || { echo "build.sh: could not download $beats_module@$beats_rev" >&2; exit 1; }
sed "s|^module $beats_module\$|module dify.local/filebeat|" "$src/go.mod" >"$work/go.mod"
printf '\nrequire %s %s\n' "$beats_module" "$beats_rev" >>"$work/go.mod"
cat "$src/go.sum" >>"$work/go.sum"
printf '//go:build tools\n\npackage tools\n\nimport _ "%s/filebeat"\n' "$beats_module" >"$work/tools.go"

log="$cache/logs/filebeat.log"
echo "build.sh: building filebeat at $beats_rev (cold cache: long on 2 cores; log: $log)" >&2
# -X: the same version variables upstream's mage build sets (dev-tools/mage/build.go).
if ! /usr/bin/time -v -o "$log.time" bash -c "cd '$work' && go build -mod=mod -trimpath -o '$out.tmp' -ldflags '-s -w \
    -X $beats_module/libbeat/version.commit=$commit \
    -X $beats_module/libbeat/version.buildTime=1970-01-01T00:00:00Z' \
    $beats_module/filebeat" >"$log" 2>&1; then
  tail -40 "$log" >&2
  echo "build.sh: filebeat build failed; full log: $log" >&2
  exit 1
fi
mv "$out.tmp" "$out"
wall="$(awk -F': ' '/Elapsed \(wall clock\)/ { print $2 }' "$log.time")"
rss="$(awk -F': ' '/Maximum resident set size/ { printf "%.0f MB", $2 / 1024 }' "$log.time")"
printf 'filebeat\t%s\t%s\t%s\n' "$wall" "$rss" "$(date -u +%FT%TZ)" >>"$root/builds.tsv"
echo "build.sh: filebeat built in $wall, peak RSS $rss" >&2
echo "$out"
