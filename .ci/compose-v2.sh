#!/usr/bin/env bash
# Makes `docker compose` (Compose v2, the Docker CLI plugin) available where only docker-compose 1.29
# is, so CI runs the end-to-end suite with both. No download site or registry is reachable here, but the
# Go module proxy is: Compose is built from its own Go module, unmodified, as the Docker CLI plugin
# ~/.docker/cli-plugins/docker-compose. An existing plugin is kept. Prints `docker compose version` on
# success; exits non-zero with the reason on stderr when it cannot be built.
#   usage: .ci/compose-v2.sh
set -euo pipefail

version=v2.40.3
module=github.com/docker/compose/v2
plugin=${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins/docker-compose

say() { echo ".ci/compose-v2: $*" >&2; }

if docker compose version >/dev/null 2>&1; then docker compose version; exit 0; fi
command -v go >/dev/null || PATH=$PATH:/usr/local/go/bin
command -v go >/dev/null || { say "no Go toolchain to build Compose $version with"; exit 1; }

say "building Docker Compose $version from the Go module proxy (a few minutes the first time)"
source_dir=$(go mod download -json "$module@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
[[ -d $source_dir ]] || { say "go mod download $module@$version gave no source"; exit 1; }
# Built as the main module, in a writable copy: its go.mod's replace and exclude directives then apply
# (`go install …@version` refuses a module that has them).
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$source_dir/." "$work"
chmod -R u+w "$work"
mkdir -p "$(dirname "$plugin")"
(cd "$work" && go build -trimpath -ldflags "-s -w -X $module/internal.Version=$version" -o "$plugin" ./cmd) >&2
docker compose version
