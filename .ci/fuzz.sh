#!/usr/bin/env bash
# Fuzzes both services from their own OpenAPI documents with schemathesis (PyPI), all checks on.
#
# Usage: bash .ci/fuzz.sh [storage-service] [status-service]     (no argument: both)
#
# Each service runs as a local Node process in development settings (APP_ENV=development, which serves
# /openapi.json) on a free port of 127.0.0.1; schemathesis generates cases from that document and
# fails the run on any server error other than a 503 the document declares for that operation, and on
# any answer the document does not describe (status, content type, headers, body, undeclared methods).
# Prints `fuzz: <service> <N> cases, <F> failures` per service; exits 0 only when every service passed.
#
# Needs python3 (with venv) and Node 24 on PATH; installs schemathesis once into $FUZZ_CACHE/venv
# (outside the repository), so a second run does not reach PyPI. Reports (schemathesis' text output,
# JUnit XML, JSON, the service's log) go to $FUZZ_REPORTS, also outside the repository.
#
# Settings (environment):
#   FUZZ_MAX_EXAMPLES  --max-examples: cases per operation and phase (default 500: about 1,000 cases per service)
#   FUZZ_MIN_CASES     fewer generated cases than this for a service fails it (default 300)
#   FUZZ_SEED          fixed seed, so CI runs the same cases every time (default 20251125)
#   FUZZ_TIME_LIMIT    seconds one service's fuzzing may take before it is stopped and failed (default 180)
#   FUZZ_CACHE         where the venv lives (default /var/cache/assembly-fuzz)
#   FUZZ_REPORTS       where the reports go (default $FUZZ_CACHE/reports, emptied per service per run)
#   DOCKER_HOST        the Docker Engine status-service reports from (default unix:///var/run/docker.sock)
set -uo pipefail
cd "$(dirname "$0")/.."

SCHEMATHESIS_VERSION=4.32.5
MAX_EXAMPLES=${FUZZ_MAX_EXAMPLES:-500}
MIN_CASES=${FUZZ_MIN_CASES:-300}
SEED=${FUZZ_SEED:-20251125}
TIME_LIMIT=${FUZZ_TIME_LIMIT:-180}
# Per request; an event stream is read for at most this long too (schemathesis' own rule).
REQUEST_TIMEOUT=10
CACHE=${FUZZ_CACHE:-/var/cache/assembly-fuzz}
REPORTS=${FUZZ_REPORTS:-$CACHE/reports}
VENV=$CACHE/venv
DOCKER_HOST_FOR_STATUS=${DOCKER_HOST:-unix:///var/run/docker.sock}

services=("$@")
((${#services[@]})) || services=(storage-service status-service)
for service in "${services[@]}"; do
  case $service in storage-service | status-service) ;; *) echo "fuzz: unknown service '$service' (storage-service, status-service)" >&2; exit 2 ;; esac
done

say() { printf 'fuzz: %s\n' "$*"; }

# --- Node 24 and the workspace's packages --------------------------------------------------------------
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if ((node_major < 24)); then
  say "Node 24 must be first on PATH (found: $(node --version 2>/dev/null || echo none)); the services run on its type stripping"
  exit 1
fi
if [[ ! -d node_modules/koa ]]; then
  say "no node_modules: npm ci"
  npm ci --no-audit --no-fund || { say "npm ci failed"; exit 1; }
fi

# --- schemathesis, pinned, in a venv outside the repository --------------------------------------------
started=$SECONDS
installed=$("$VENV/bin/schemathesis" --version 2>/dev/null || true)
if [[ $installed != *"version $SCHEMATHESIS_VERSION" ]]; then
  say "installing schemathesis $SCHEMATHESIS_VERSION into $VENV"
  rm -rf "$VENV"
  mkdir -p "$CACHE"
  if ! python3 -m venv "$VENV" 2>/dev/null; then
    # Debian's python3 keeps ensurepip in a package of its own.
    rm -rf "$VENV"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null) || true
    python3 -m venv "$VENV" || { say "python3 -m venv failed"; exit 1; }
  fi
  pip=("$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-input)
  # Its dependencies pinned too (fuzz-requirements.txt, from `pip freeze` of a working install), so a
  # new release of one of them cannot change CI's result; where they do not install (another Python),
  # schemathesis alone, pinned.
  if ! "${pip[@]}" -r .ci/fuzz-requirements.txt; then
    say "the pinned dependency set did not install on $(python3 --version); installing schemathesis==$SCHEMATHESIS_VERSION with current dependencies"
    "${pip[@]}" "schemathesis==$SCHEMATHESIS_VERSION" || { rm -rf "$VENV"; say "pip install schemathesis failed"; exit 1; }
  fi
  installed=$("$VENV/bin/schemathesis" --version) || { rm -rf "$VENV"; say "schemathesis does not run"; exit 1; }
  say "installed in $((SECONDS - started)) s"
fi
say "$installed ($VENV)"

# --- the services --------------------------------------------------------------------------------------
pids=()
stop_services() {
  local pid
  # A schemathesis run cut short by a signal (its `timeout` forwards the TERM)
  [[ -n ${out:-} && -f $out/fuzz.pid ]] && kill -TERM "$(cat "$out/fuzz.pid")" 2>/dev/null
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  pids=()
}
trap stop_services EXIT
trap 'exit 130' INT TERM

# Starts a service with PORT=0 and sets `port` to the one it reports in its 'listening' line, once /healthz answers.
# (Not in a command substitution: the process must be this shell's child, for the trap to stop it.)
port=''
start_service() {
  local service=$1 log=$2 pid
  shift 2
  port=''
  # Development settings as in .env.dev (faults aside, see below); nothing else from the caller's environment.
  env -u DATA_FILE -u STORE_PATH -u IDEMPOTENCY_TTL_SECONDS -u REPLICA_ID -u TRAEFIK_API_URL -u FAULTS_ENABLED -u DOCKER_HOST \
    PORT=0 METRICS_PORT=0 GRPC_PORT=0 APP_ENV=development LOG_LEVEL=debug "$@" node "$service/src/server.ts" >"$log" 2>&1 &
  pid=$!
  pids+=("$pid")
  for _ in $(seq 150); do
    kill -0 "$pid" 2>/dev/null || { say "$service exited at start:"; tail -20 "$log"; return 1; }
    [[ -n $port ]] || port=$(sed -n 's/.*"port":\([0-9]*\).*"msg":"listening".*/\1/p' "$log" | head -1)
    if [[ -n $port ]] && curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$port/healthz"; then
      return 0
    fi
    sleep 0.2
  done
  say "$service did not answer /healthz within 30 s:"
  tail -20 "$log"
  return 1
}

# --- one service ---------------------------------------------------------------------------------------
results=()
overall=0

fuzz_service() {
  local service=$1 out=$REPORTS/$1 base cases=0 failures=0 status extra=()
  rm -rf "$out"
  mkdir -p "$out"
  echo
  echo "== fuzz $service"
  case $service in
    storage-service)
      say "storage-service runs with FAULTS_ENABLED=false: with fault injection on, /faults is in the document, the fuzzer would PUT" \
        "failRate/delayMs/unhealthy there and the service would then answer injected 500s and 503s on purpose, which says nothing about the service;" \
        "with it off /faults is neither served nor documented"
      # A store of this run's own (the fuzzer writes and deletes items), seeded from the dummy data.
      rm -f "$out"/store.sqlite*
      extra=(FAULTS_ENABLED=false "STORE_PATH=$out/store.sqlite")
      ;;
    status-service)
      extra=("DOCKER_HOST=$DOCKER_HOST_FOR_STATUS")
      local socket=${DOCKER_HOST_FOR_STATUS#unix://}
      if [[ $DOCKER_HOST_FOR_STATUS == unix://* ]] && curl -fsS -o /dev/null --max-time 3 --unix-socket "$socket" http://docker/_ping; then
        say "status-service reports from the Docker Engine at $DOCKER_HOST_FOR_STATUS (reachable)"
      else
        say "status-service: the Docker Engine at $DOCKER_HOST_FOR_STATUS is not reachable; its documented 503s (GET /status) are accepted"
      fi
      say "GET /status/stream is server-sent events that never end: schemathesis reads each stream to its first event" \
        "(max-stream-events = 1, from the document's text/event-stream), at most $REQUEST_TIMEOUT s (--request-timeout), and checks every event read against the declared event schema"
      ;;
  esac

  start_service "$service" "$out/service.log" "${extra[@]}" || {
    results+=("fuzz: $service 0 cases, 1 failures (did not start)")
    overall=1
    stop_services
    return
  }
  base=http://127.0.0.1:$port
  say "$service on $base, log $out/service.log"

  curl -fsS --max-time 5 "$base/openapi.json" -o "$out/openapi.json" &&
    "$VENV/bin/python" .ci/fuzz-config.py "$out/openapi.json" >"$out/schemathesis.toml" || {
    results+=("fuzz: $service 0 cases, 1 failures (no /openapi.json)")
    overall=1
    stop_services
    return
  }
  grep -q '^\[\[operations\]\]' "$out/schemathesis.toml" && { say "per-operation settings from the document ($out/schemathesis.toml):"; grep -v '^#' "$out/schemathesis.toml" | sed '/^$/d; s/^/    /'; }

  local cmd=(
    "$VENV/bin/schemathesis" --config-file "$out/schemathesis.toml"
    run "$base/openapi.json"
    --checks all
    --max-examples "$MAX_EXAMPLES"
    --seed "$SEED"
    --generation-database none
    --continue-on-failure
    --workers 1
    --request-timeout "$REQUEST_TIMEOUT"
    --no-color
    --report junit,json
    --report-junit-path "$out/junit.xml"
    --report-json-path "$out/report.json"
  )
  say "running: ${cmd[*]}"
  local t0=$SECONDS
  # Its working directory is the report folder: nothing it writes lands in the repository. In the
  # background, so that a signal to this script runs its trap at once (stopping this run and the service).
  (cd "$out" && echo "$BASHPID" >"$out/fuzz.pid" && exec timeout --kill-after=10 "$TIME_LIMIT" "${cmd[@]}") 2>&1 | tee "$out/schemathesis.txt" &
  wait $!
  status=$?
  rm -f "$out/fuzz.pid"
  local elapsed=$((SECONDS - t0))
  stop_services

  local note=''
  if [[ -f $out/report.json ]]; then
    read -r cases failures < <("$VENV/bin/python" -c '
import json, sys
report = json.load(open(sys.argv[1]))
cases = report["test_cases"]
print(cases["generated"], cases["unique_failures"] + cases["errored"] + len(report["errors"]))
' "$out/report.json") || { cases=0; failures=1; note=' (unreadable report)'; }
  else
    failures=1
    note=' (no report)'
  fi
  if ((status == 124 || status == 137)); then
    failures=$((failures > 0 ? failures : 1))
    note=" (stopped after the ${TIME_LIMIT} s limit)"
  elif ((status != 0 && failures == 0)); then
    failures=1
    note=" (schemathesis exited $status)"
  fi
  if ((failures == 0 && cases < MIN_CASES)); then
    failures=1
    note=" (fewer than the $MIN_CASES cases required)"
  fi
  ((failures == 0)) || overall=1
  results+=("fuzz: $service $cases cases, $failures failures$note")
  say "$service: $elapsed s; reports in $out (schemathesis.txt, junit.xml, report.json, service.log)"
}

for service in "${services[@]}"; do fuzz_service "$service"; done

echo
printf '%s\n' "${results[@]}"
exit "$overall"
