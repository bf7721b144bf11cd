#!/usr/bin/env bash
# Let's Encrypt's Pebble (a small ACME CA for tests), for the ACME end-to-end test (e2e/https-acme.e2e.ts).
# Its binary is static, so the test runs it in a plain Debian container beside the gateway. Prints its path.
exec bash "$(dirname "$0")/go-tool.sh" pebble github.com/letsencrypt/pebble/v2/cmd/pebble v2.10.3
