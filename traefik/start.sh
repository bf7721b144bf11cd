#!/bin/sh
# The gateway's entrypoint (busybox/alpine sh; no sed or awk in the minimal image).
# 1. Renders traefik.yml with this stack's compose project name (the Docker provider's constraint:
#    see traefik.yml), since Traefik's static configuration cannot read the environment.
# 2. Tells the dynamic configuration's templates which retry options this Traefik version has:
#    Traefik 3.7 can retry on the status a failed attempt produced (502 after a connection reset,
#    504 after the serversTransport's responseHeaderTimeout); Traefik 3.6 only retries attempts whose
#    request never reached a server, and rejects the option altogether.
# Then runs Traefik on the rendered file.
set -eu
project=${ASSEMBLY_PROJECT:?ASSEMBLY_PROJECT must name the compose project}
case "$project" in
  *[!a-z0-9_-]*) echo "start.sh: ASSEMBLY_PROJECT must be a compose project name ([a-z0-9_-]), got '$project'" >&2; exit 1 ;;
esac
out=/tmp/traefik.yml
: > "$out"
while IFS= read -r line || [ -n "$line" ]; do
  printf '%s\n' "${line//__ASSEMBLY_PROJECT__/$project}" >> "$out"
done < /etc/traefik/traefik.yml

version=
while read -r key value _; do
  if [ "$key" = Version: ]; then version=${value#v}; fi
done <<VERSION
$(traefik version 2>/dev/null || true)
VERSION
case "$version" in
  3.[0-6].*|2.*|1.*|'') unset TRAEFIK_RETRY_STATUS ;;
  *) export TRAEFIK_RETRY_STATUS=502,504 ;;
esac
echo "start.sh: Traefik ${version:-unknown}, project $project, retry on status: ${TRAEFIK_RETRY_STATUS:-no (needs Traefik 3.7)}" >&2
exec traefik --configFile="$out"
