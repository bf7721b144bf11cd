#!/usr/bin/env bash
# grpcurl (FullStory's command-line gRPC client), for the gRPC end-to-end test (e2e/grpc.e2e.ts). Prints its path.
exec bash "$(dirname "$0")/go-tool.sh" grpcurl github.com/fullstorydev/grpcurl/cmd/grpcurl v1.9.3
