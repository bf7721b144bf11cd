#!/usr/bin/env bash
# Builds a Go command-line tool that a test or a benchmark runs (Pebble, grpcurl, vegeta) from the Go
# module proxy, static (CGO off), into a cache folder of its own per version; an existing build is kept.
# Prints the binary's path; exits non-zero with the reason on stderr when it cannot be built.
#   usage: .ci/go-tool.sh NAME PACKAGE VERSION
#   e.g.   .ci/go-tool.sh grpcurl github.com/fullstorydev/grpcurl/cmd/grpcurl v1.9.3
set -euo pipefail

name=$1 package=$2 version=$3
bin_dir=${GO_TOOL_CACHE:-/var/cache}/assembly-$name/$version

say() { echo ".ci/go-tool: $*" >&2; }

if [[ -x $bin_dir/$name ]]; then echo "$bin_dir/$name"; exit 0; fi
command -v go >/dev/null || PATH=$PATH:/usr/local/go/bin
command -v go >/dev/null || { say "no Go toolchain to build $name $version with"; exit 1; }

say "building $name $version from the Go module proxy (a minute the first time)"
mkdir -p "$bin_dir"
CGO_ENABLED=0 GOBIN=$bin_dir go install -trimpath -ldflags "-s -w" "$package@$version" >&2
echo "$bin_dir/$name"
