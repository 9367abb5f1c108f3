import ArgusCore

// The JSON shapes shared by `--json` CLI output and the REST API.

extension RunRecord {
    public var json: JSONValue {
        var o = JSONObject()
        o["id"] = .number(String(id))
        o["kind"] = .string(kind)
        o["server"] = .string(serverName)
        o["command"] = .string(command)
        o["args"] = .array(args.map(JSONValue.string))
        o["cwd"] = cwd.map(JSONValue.string) ?? .null
        o["env_names"] = .array(envNames.map(JSONValue.string))
        o["client"] =
            clientName.map { name in
                JSONValue.object(JSONObject(["name": .string(name), "version": clientVersion.map(JSONValue.string) ?? .null]))
            } ?? .null
        o["server_info"] =
            serverInfoName.map { name in
                JSONValue.object(JSONObject(["name": .string(name), "version": serverVersion.map(JSONValue.string) ?? .null]))
            } ?? .null
        o["protocol_version"] = protocolVersion.map(JSONValue.string) ?? .null
        o["started_at"] = .string(TimeFormat.iso8601(micros: startedAt))
        o["started_at_us"] = .number(String(startedAt))
        o["ended_at"] = endedAt.map { .string(TimeFormat.iso8601(micros: $0)) } ?? .null
        o["ended_at_us"] = endedAt.map { .number(String($0)) } ?? .null
        o["end_reason"] = endReason.map { .string($0.rawValue) } ?? .null
        o["end_detail"] = endDetail.map(JSONValue.string) ?? .null
        o["exit_status"] = exitStatus.map { .number(String($0)) } ?? .null
        o["stderr_tail"] = stderrTail.map(JSONValue.string) ?? .null
        o["argus_pid"] = argusPID.map { .number(String($0)) } ?? .null
        o["server_pid"] = serverPID.map { .number(String($0)) } ?? .null
        o["previous_run_id"] = previousRunID.map { .number(String($0)) } ?? .null
        o["message_count"] = .number(String(messageCount))
        o["call_count"] = .number(String(callCount))
        o["error_count"] = .number(String(errorCount))
        o["dropped_frames"] = .number(String(droppedFrames))
        o["label"] = label.map(JSONValue.string) ?? .null
        o["recording_error"] = recordingError.map(JSONValue.string) ?? .null
        return .object(o)
    }
}

extension CallRecord {
    public var json: JSONValue {
        var o = JSONObject()
        o["id"] = .number(String(id))
        o["run_id"] = .number(String(runID))
        o["server"] = .string(server)
        o["direction"] = .string(direction.rawValue)
        o["method"] = .string(method)
        o["tool"] = tool.map(JSONValue.string) ?? .null
        o["target"] = target.map(JSONValue.string) ?? .null
        o["jsonrpc_id"] = (try? JSONParser.parse(jsonrpcID)) ?? .string(jsonrpcID)
        o["status"] = .string(status.rawValue)
        o["is_error"] = .bool(isError)
        o["error_code"] = errorCode.map { .number(String($0)) } ?? .null
        o["error_message"] = errorMessage.map(JSONValue.string) ?? .null
        o["latency_us"] = latencyMicros.map { .number(String($0)) } ?? .null
        o["started_at"] = .string(TimeFormat.iso8601(micros: startedAt))
        o["started_at_us"] = .number(String(startedAt))
        o["ended_at"] = endedAt.map { .string(TimeFormat.iso8601(micros: $0)) } ?? .null
        o["progress_count"] = .number(String(progressCount))
        o["cancelled"] = .bool(cancelled)
        o["bytes_in"] = bytesIn.map { .number(String($0)) } ?? .null
        o["bytes_out"] = bytesOut.map { .number(String($0)) } ?? .null
        o["replay_of"] = replayOf.map { .number(String($0)) } ?? .null
        o["request_seq"] = .number(String(requestSeq))
        o["response_seq"] = responseSeq.map { .number(String($0)) } ?? .null
        o["run_kind"] = .string(runKind)
        o["round"] = round.map { .number(String($0)) } ?? .null
        o["first_call_id"] = firstCallID.map { .number(String($0)) } ?? .null
        o["fault"] = fault?.json ?? .null
        return .object(o)
    }
}

extension CallRecord {
    /// An earlier replay of a call, as the dashboard lists it under the call.
    public var replayJSON: JSONValue {
        [
            "id": .number(String(id)), "run_id": .number(String(runID)), "status": .string(status.rawValue), "is_error": .bool(isError),
            "latency_us": latencyMicros.map { .number(String($0)) } ?? .null, "started_at": .string(TimeFormat.iso8601(micros: startedAt)),
        ]
    }
}

extension FaultRecord {
    public var json: JSONValue {
        [
            "kind": .string(kind), "source": .string(source), "detail": detail.map(JSONValue.string) ?? .null,
            "tool": tool.map(JSONValue.string) ?? .null, "request_seq": requestSeq.map { .number(String($0)) } ?? .null,
            "response_seq": responseSeq.map { .number(String($0)) } ?? .null, "answered_by_argus": .bool(answeredByArgus),
            "ts": .number(String(timestamp)),
        ]
    }
}

extension CallDetail {
    /// The call plus `params`, `result` and `error` as recorded (redacted).
    public var json: JSONValue {
        guard case .object(var o) = call.json else { return call.json }
        o["params"] = params ?? .null
        o["result"] = result ?? .null
        if let error {
            o["error"] = error
        } else if call.isError, let message = call.errorMessage {
            // A tool failure (isError result): present it like an error too.
            o["error"] = .object(JSONObject(["code": .null, "message": .string(message)]))
        } else {
            o["error"] = .null
        }
        return .object(o)
    }
}

extension ToolStats {
    public var json: JSONValue {
        var o = JSONObject()
        o["server"] = .string(server)
        o["name"] = .string(name)
        o["kind"] = .string(isTool ? "tool" : "method")
        o["count"] = .number(String(count))
        o["errors"] = .number(String(errors))
        o["error_rate"] = .double(errorRate)
        o["p50_us"] = p50.map { .number(String($0)) } ?? .null
        o["p95_us"] = p95.map { .number(String($0)) } ?? .null
        o["p99_us"] = p99.map { .number(String($0)) } ?? .null
        o["mean_us"] = mean.map { .number(String($0)) } ?? .null
        o["max_us"] = max.map { .number(String($0)) } ?? .null
        return .object(o)
    }
}

extension ToolSchemaRecord {
    public var json: JSONValue {
        var o = JSONObject()
        o["run_id"] = .number(String(runID))
        o["name"] = .string(name)
        o["title"] = title.map(JSONValue.string) ?? .null
        o["description"] = description.map(JSONValue.string) ?? .null
        o["input_schema"] = inputSchema.flatMap { try? JSONParser.parse($0) } ?? .null
        o["output_schema"] = outputSchema.flatMap { try? JSONParser.parse($0) } ?? .null
        o["annotations"] = annotations.flatMap { try? JSONParser.parse($0) } ?? .null
        return .object(o)
    }
}

extension ScriptOutputRecord {
    public var json: JSONValue {
        var o: JSONObject = [
            "id": .number(String(id)), "script": .string(script), "kind": .string(kind.rawValue),
            "time": .string(TimeFormat.iso8601(micros: timestamp)), "time_us": .number(String(timestamp)),
        ]
        o["run_id"] = runID.map { .number(String($0)) } ?? .null
        o["call_id"] = callID.map { .number(String($0)) } ?? .null
        o["server"] = server.map(JSONValue.string) ?? .null
        o["tool"] = tool.map(JSONValue.string) ?? .null
        if let level { o["level"] = .string(level) }
        if let name { o["name"] = .string(name) }
        if let metricKind { o["metric_kind"] = .string(metricKind) }
        if let value { o["value"] = .double(value) }
        if let labels { o["labels"] = (try? JSONParser.parse(labels)) ?? .string(labels) }
        if let message { o["message"] = .string(message) }
        if let key { o["key"] = .string(key) }
        if let location { o["location"] = .string(location) }
        return .object(o)
    }
}

extension MetricSeries {
    public var json: JSONValue {
        var o: JSONObject = [
            "script": .string(script), "name": .string(name), "kind": .string(kind),
            "labels": (try? JSONParser.parse(labels)) ?? [:], "count": .int(count), "sum": .double(sum),
            "min": .double(min), "max": .double(max), "last": .double(last),
            "last_at": .string(TimeFormat.iso8601(micros: lastAt)),
        ]
        if let p50 { o["p50"] = .double(p50) }
        if let p95 { o["p95"] = .double(p95) }
        return .object(o)
    }
}

extension ScriptStatusRecord {
    public var json: JSONValue {
        [
            "script": .string(script), "argus_pid": .number(String(argusPID)), "path": .string(path), "server": .string(server),
            "state": .string(state), "last_error": lastError.map(JSONValue.string) ?? .null,
            "hooks": (try? JSONParser.parse(hookStats)) ?? [:], "error_count": .number(String(errorCount)),
            "loaded_at": loadedAt > 0 ? .string(TimeFormat.iso8601(micros: loadedAt)) : .null,
            "updated_at": .string(TimeFormat.iso8601(micros: updatedAt)),
        ]
    }
}

extension ExportStatusRecord {
    public var json: JSONValue {
        var o: JSONObject = [
            "exporter": .string(exporter), "argus_pid": .number(String(argusPID)), "server": .string(server),
            "endpoint": .string(endpoint), "started_at": .string(TimeFormat.iso8601(micros: startedAt)),
            "updated_at": .string(TimeFormat.iso8601(micros: updatedAt)),
            "spans_exported": .number(String(spansExported)), "spans_dropped": .number(String(spansDropped)),
            "spans_rejected": .number(String(spansRejected)), "spans_queued": .number(String(spansQueued)),
            "metric_exports": .number(String(metricExports)), "metric_exports_failed": .number(String(metricExportsFailed)),
            "finished": .bool(finished),
        ]
        o["last_error"] = lastError.map(JSONValue.string) ?? .null
        o["last_error_at"] = lastErrorAt.map { .string(TimeFormat.iso8601(micros: $0)) } ?? .null
        return .object(o)
    }
}
