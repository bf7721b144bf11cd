"""Per-operation schemathesis settings derived from a service's own OpenAPI document (.ci/fuzz.sh runs this).

Usage: python fuzz-config.py OPENAPI_JSON > schemathesis.toml

Three rules come from the document itself, so they follow it when it changes:
- A 503 is accepted by `not_a_server_error` only on the operations that declare a 503 response; every
  other 5xx, and a 503 anywhere else, still fails the run (an undeclared status also fails
  `status_code_conformance`).
- A response marked `x-state-dependent` (service-kit's `stateDependent`) is one a valid request can get
  because of earlier requests or of the clock: `positive_data_acceptance` accepts it on that operation.
- An operation that answers `text/event-stream` never ends its answer: schemathesis reads it until the
  first event (the services send the full report at once), which it then checks against the declared
  event schema, instead of waiting out the request timeout on every such request.
"""

import json
import sys

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# schemathesis' own default for positive_data_acceptance, extended per operation below.
POSITIVE_DATA_ACCEPTANCE = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]


def toml_string(value: str) -> str:
    return json.dumps(value)  # a JSON string is a valid TOML basic string for these names


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as file:
        document = json.load(file)
    out = [f"# Written by .ci/fuzz.sh from {document.get('info', {}).get('title', '?')}'s /openapi.json; do not edit.", ""]
    for path, item in sorted(document.get("paths", {}).items()):
        for method in METHODS:
            operation = item.get(method)
            if not isinstance(operation, dict):
                continue
            name = f"{method.upper()} {path}"
            responses = operation.get("responses", {})
            settings = []
            if "503" in responses:
                settings += [
                    f"# documents a 503: {' '.join(str(responses['503'].get('description', '')).split())}",
                    'checks.not_a_server_error.expected-statuses = ["2xx", "3xx", "4xx", "503"]',
                ]
            state_dependent = [status for status, response in responses.items() if response.get("x-state-dependent")]
            if state_dependent:
                settings += [
                    f"# answers valid requests with {', '.join(state_dependent)} after earlier requests changed the state, or by the clock (x-state-dependent)",
                    f"checks.positive_data_acceptance.expected-statuses = {json.dumps(POSITIVE_DATA_ACCEPTANCE + state_dependent)}",
                ]
            streams = [status for status, response in responses.items() if "text/event-stream" in (response.get("content") or {})]
            if streams:
                settings += [
                    f"# answers server-sent events ({', '.join(streams)}), a stream that never ends: read it to its first event",
                    "max-stream-events = 1",
                ]
            if settings:
                out += ["[[operations]]", f"include-name = {toml_string(name)}", *settings, ""]
    print("\n".join(out))


if __name__ == "__main__":
    main()
