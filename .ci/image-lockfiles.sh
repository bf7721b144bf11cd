#!/usr/bin/env bash
# Each service's image is built from the service's folder alone (`docker build storage-service`), so each
# folder carries a lock file of its own for `npm ci` inside the image. This script derives it from the
# service's package.json; versions an existing lock file pins are kept while they still satisfy it.
#   usage: .ci/image-lockfiles.sh            rewrite the services' lock files
#          .ci/image-lockfiles.sh --check    fail if one is out of date
set -euo pipefail
cd "$(dirname "$0")/.."
check=${1:-}
stale=()
for service in storage-service status-service; do
  work=$(mktemp -d)
  cp "$service/package.json" "$work/"
  [[ -f $service/package-lock.json ]] && cp "$service/package-lock.json" "$work/"
  (cd "$work" && npm install --package-lock-only --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
  if [[ $check == --check ]]; then
    cmp -s "$work/package-lock.json" "$service/package-lock.json" || stale+=("$service")
  else
    cp "$work/package-lock.json" "$service/package-lock.json"
  fi
  rm -rf "$work"
done
if ((${#stale[@]})); then
  echo "image lock files out of date: ${stale[*]} (run: npm run lockfiles)" >&2
  exit 1
fi
