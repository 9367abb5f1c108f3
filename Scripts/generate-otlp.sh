#!/usr/bin/env bash
# Regenerates Sources/ArgusTelemetry/OTLP/Generated from opentelemetry-proto. The output is
# committed, so builds (and CI) never build swift-protobuf's plugin (about 10 minutes cold).
#
#   Scripts/generate-otlp.sh PATH_TO_OPENTELEMETRY_PROTO_CHECKOUT PATH_TO_PROTOC_GEN_SWIFT
#
# Needs protoc (Debian: protobuf-compiler) and protoc-gen-swift from swift-protobuf 1.39.0, the
# version Package.swift pins (`swift build -c release --product protoc-gen-swift` in its checkout).
# Generated from opentelemetry-proto v1.9.0.
set -euo pipefail
proto_root="${1:?path to an opentelemetry-proto checkout (tag v1.9.0)}"
plugin="${2:?path to protoc-gen-swift 1.39.0}"
cd "$(dirname "$0")/.."
out=Sources/ArgusTelemetry/OTLP/Generated
rm -f "$out"/*.pb.swift
protoc --plugin=protoc-gen-swift="$plugin" --swift_opt=Visibility=Public --swift_opt=FileNaming=PathToUnderscores \
    --swift_out="$out" -I "$proto_root" \
    opentelemetry/proto/common/v1/common.proto \
    opentelemetry/proto/resource/v1/resource.proto \
    opentelemetry/proto/trace/v1/trace.proto \
    opentelemetry/proto/metrics/v1/metrics.proto \
    opentelemetry/proto/collector/trace/v1/trace_service.proto \
    opentelemetry/proto/collector/metrics/v1/metrics_service.proto
