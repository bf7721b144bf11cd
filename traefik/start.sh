#!/bin/sh
# The gateway's entrypoint (busybox sh: no sed, awk or jq in the minimal image).
# Traefik must route only to containers of its own compose project or stack (providers in traefik.yml),
# and its static configuration can read neither the environment nor a template.
#   Swarm: the stack file passes the stack's name in STACK_NAMESPACE (a template of the service's own
#   label, which Swarm fills in); the Swarm provider is kept.
#   Compose: compose cannot tell it the name (docker-compose 1.29 does not pass a `-p NAME` to
#   interpolation), so this script asks the Docker API proxy for this very container (its host name is
#   its short id) and takes its `com.docker.compose.project` label; the Docker provider is kept.
# It writes the name into a copy of traefik.yml with the TLS settings (TLS_MODE; with acme, the domain,
# the e-mail address and the CA), and runs Traefik on it.
set -eu

# Runs the command once a second until it succeeds; after 30 tries, stops the container saying why.
retry() {
  why=$1
  shift
  tries=0
  until "$@"; do
    tries=$((tries + 1))
    if [ "$tries" -ge 30 ]; then
      echo "start.sh: $why after $tries tries" >&2
      exit 1
    fi
    sleep 1
  done
}

if [ -n "${STACK_NAMESPACE:-}" ]; then
  orchestrator=swarm
  project=$STACK_NAMESPACE
  case "$project" in
    *[!A-Za-z0-9_.-]*) echo "start.sh: STACK_NAMESPACE is not a stack name (got \"$project\")" >&2; exit 1 ;;
  esac
  # Swarm's DNS knows a task's name only once the task runs: Traefik binds the internal entrypoint to it.
  resolves() { nslookup gateway-control >/dev/null 2>&1; }
  retry "the name gateway-control (this task on the control network) did not resolve" resolves
else
  orchestrator=compose
  api=http://docker-api:2375
  own_container() { inspect=$(wget -q -O - "$api/containers/$(hostname)/json" 2>/dev/null); }
  retry "cannot read this container from the Docker API proxy at $api" own_container
  rest=${inspect#*\"com.docker.compose.project\":\"}
  project=${rest%%\"*}
  case "$project" in
    '' | *[!a-z0-9_-]* | "$inspect")
      echo "start.sh: this container has no compose project label; start it with docker-compose (or docker stack deploy)" >&2
      exit 1 ;;
  esac
fi

# The TLS settings (tls-setup checked them before this container started; here they only must not be
# able to break the YAML they are written into).
tls_mode=${TLS_MODE:-acme}
domain=${GATEWAY_DOMAIN:-}
email=${ACME_EMAIL:-}
ca_server=${ACME_CA_SERVER:-https://acme-v02.api.letsencrypt.org/directory}
if [ "$tls_mode" = acme ]; then
  case "$domain" in '' | *[!A-Za-z0-9.-]*) echo "start.sh: GATEWAY_DOMAIN must be a domain name (got \"$domain\")" >&2; exit 1 ;; esac
  case "$email" in '' | *[\"\ ]*) echo "start.sh: ACME_EMAIL must be an e-mail address (got \"$email\")" >&2; exit 1 ;; esac
  case "$ca_server" in
    *[\"\ ]*) echo "start.sh: ACME_CA_SERVER must be an https:// URL" >&2; exit 1 ;;
    https://?*) ;;
    *) echo "start.sh: ACME_CA_SERVER must be an https:// URL" >&2; exit 1 ;;
  esac
fi

out=/tmp/traefik.yml
: > "$out"
while IFS= read -r line || [ -n "$line" ]; do
  case "$line" in
    *'# [acme]') [ "$tls_mode" = acme ] || continue ;;
    *'# [compose]') [ "$orchestrator" = compose ] || continue ;;
    *'# [swarm]') [ "$orchestrator" = swarm ] || continue ;;
  esac
  line=${line//__PROJECT__/$project}
  line=${line//__GATEWAY_DOMAIN__/$domain}
  line=${line//__ACME_EMAIL__/$email}
  line=${line//__ACME_CA_SERVER__/$ca_server}
  printf '%s\n' "$line" >> "$out"
done < /etc/traefik/traefik.yml
echo "start.sh: $orchestrator project $project, TLS_MODE $tls_mode" >&2
exec traefik --configFile="$out"
