#!/usr/bin/env bash
# vegeta (an open-loop HTTP load generator at a fixed rate), for the gateway-cost benchmark
# (bench/src/sections/gateway-cost.ts). Prints its path.
exec bash "$(dirname "$0")/go-tool.sh" vegeta github.com/tsenart/vegeta/v12 v12.12.0
