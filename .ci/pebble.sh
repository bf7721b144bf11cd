#!/usr/bin/env bash
# Builds Let's Encrypt's Pebble (a small ACME CA for tests) from its Go module, for the ACME end-to-end
# test (e2e/https-acme.e2e.ts), into a cache folder; an existing build is kept. Pebble's binary is
# static, so the test runs it in a plain Debian container beside the gateway. Prints the binary's path;
# exits non-zero with the reason on stderr when it cannot be built.
#   usage: .ci/pebble.sh
set -euo pipefail

version=v2.10.3
module=github.com/letsencrypt/pebble/v2
bin_dir=${PEBBLE_BIN_DIR:-/var/cache/assembly-pebble/$version}

say() { echo ".ci/pebble: $*" >&2; }

if [[ -x $bin_dir/pebble ]]; then echo "$bin_dir/pebble"; exit 0; fi
command -v go >/dev/null || PATH=$PATH:/usr/local/go/bin
command -v go >/dev/null || { say "no Go toolchain to build Pebble $version with"; exit 1; }

say "building Pebble $version from the Go module proxy (a minute the first time)"
mkdir -p "$bin_dir"
CGO_ENABLED=0 GOBIN=$bin_dir go install -trimpath -ldflags "-s -w" "$module/cmd/pebble@$version" >&2
echo "$bin_dir/pebble"
