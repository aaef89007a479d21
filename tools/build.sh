#!/usr/bin/env bash
# Builds the real-engine test tools from Go modules (issue 6) into a cache outside the clone.
#
#   tools/build.sh kube-apiserver   # prints the binary's path; builds only if the cache is cold
#   tools/build.sh etcd             # prints etcd's path; apt-installs Debian's etcd-server if absent
#   tools/build.sh all              # both, one path per line
#
# Cache layout (DIFY_TOOLS_CACHE, default ~/.cache/dify-pulumi-tools), keyed by version so a
# version bump in tools/go.mod builds next to the old binary instead of reusing it:
#   kube-apiserver-v1.33.13/kube-apiserver   gomod/ (GOMODCACHE)   gobuild/ (GOCACHE)
# Only the `go` client and the Go module proxy are used: no release tarballs, no images.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
cache="${DIFY_TOOLS_CACHE:-$HOME/.cache/dify-pulumi-tools}"
mkdir -p "$cache"

# The version comes from go.mod (the `tool` directive's module), the single place it is pinned.
k8s_version() {
  awk '$1 == "k8s.io/kubernetes" && $2 ~ /^v1\./ { print $2; exit }' "$here/go.mod"
}

build_kube_apiserver() {
  local version out
  version="$(k8s_version)"
  [ -n "$version" ] || { echo "build.sh: no k8s.io/kubernetes version in tools/go.mod" >&2; exit 1; }
  out="$cache/kube-apiserver-$version/kube-apiserver"
  if [ -x "$out" ]; then echo "$out"; return; fi

  # Another make run (or the stage-2 helper reusing this cache) may build at the same time:
  # serialise on a lock and re-check, so nobody links a half-written binary.
  exec 9>"$cache/.build.lock"
  flock 9
  if [ -x "$out" ]; then echo "$out"; return; fi

  mkdir -p "$(dirname "$out")"
  echo "build.sh: building kube-apiserver $version (cold cache: several minutes on 2 cores)" >&2
  local started=$SECONDS
  # GOFLAGS=-modcacherw keeps the module cache deletable with rm -rf; GOTOOLCHAIN=local stops go
  # from fetching another toolchain; CGO_ENABLED=0 gives the static binary upstream ships.
  # -X sets the version /version reports (otherwise v0.0.0-master+$Format…).
  local pkg=k8s.io/component-base/version minor="${version#v1.}"
  minor="${minor%%.*}"
  (
    cd "$here"
    GOMODCACHE="$cache/gomod" GOCACHE="$cache/gobuild" GOFLAGS=-modcacherw GOTOOLCHAIN=local \
      CGO_ENABLED=0 go build -trimpath -o "$out.tmp" \
      -ldflags "-s -w -X $pkg.gitVersion=$version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor \
        -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z" \
      k8s.io/kubernetes/cmd/kube-apiserver
  )
  mv "$out.tmp" "$out"
  echo "build.sh: kube-apiserver $version built in $((SECONDS - started))s" >&2
  echo "$out"
}

# etcd comes from Debian (bookworm: 3.4.x), not from Go modules: it is packaged and prebuilt.
ensure_etcd() {
  local etcd="${DIFY_ETCD:-/usr/bin/etcd}"
  if [ -x "$etcd" ]; then echo "$etcd"; return; fi
  if [ "$(id -u)" != 0 ]; then
    echo "build.sh: $etcd missing; run as root or: sudo apt-get install etcd-server" >&2
    exit 1
  fi
  # The package would start a system etcd on :2379; we only want the binary. policy-rc.d (exit
  # 101) forbids service starts during the install; we remove it only if we created it.
  local own_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    own_policy=1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends etcd-server >/dev/null
  [ "$own_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d
  # Belt and braces: if a service manager started it anyway, stop and disable it.
  if command -v systemctl >/dev/null && systemctl is-active --quiet etcd 2>/dev/null; then
    systemctl disable --now etcd >/dev/null 2>&1 || true
  fi
  echo "$etcd"
}

case "${1:-all}" in
  kube-apiserver) build_kube_apiserver ;;
  etcd) ensure_etcd ;;
  all) ensure_etcd; build_kube_apiserver ;;
  *) echo "usage: $0 [kube-apiserver|etcd|all]" >&2; exit 2 ;;
esac
