#!/bin/sh
# The gateway's entrypoint (busybox sh: no sed, awk or jq in the minimal image).
# Traefik must route only to containers of its own compose project (providers.docker.constraints in
# traefik.yml), and its static configuration can read neither the environment nor a template. Nor can
# compose tell it the name: docker-compose 1.29 does not pass a `-p NAME` to interpolation. So this
# script asks the Docker API proxy for this very container (its host name is its short id) and takes
# its `com.docker.compose.project` label, writes it into a copy of traefik.yml, and runs Traefik on it.
set -eu
api=http://docker-api:2375
tries=0
until inspect=$(wget -q -O - "$api/containers/$(hostname)/json" 2>/dev/null); do
  tries=$((tries + 1))
  if [ "$tries" -ge 30 ]; then
    echo "start.sh: cannot read this container from the Docker API proxy at $api after $tries tries" >&2
    exit 1
  fi
  sleep 1
done
rest=${inspect#*\"com.docker.compose.project\":\"}
project=${rest%%\"*}
case "$project" in
  '' | *[!a-z0-9_-]* | "$inspect")
    echo "start.sh: this container has no compose project label; start it with docker-compose" >&2
    exit 1 ;;
esac

out=/tmp/traefik.yml
: > "$out"
while IFS= read -r line || [ -n "$line" ]; do
  printf '%s\n' "${line//__COMPOSE_PROJECT__/$project}" >> "$out"
done < /etc/traefik/traefik.yml
echo "start.sh: compose project $project" >&2
exec traefik --configFile="$out"
