-- Alerts when too many of a tool's recent calls fail. A failure is a JSON-RPC
-- error or a result with isError: true (call.is_error covers both).

SCRIPT = {
  name = "error-rate-alert",
  description = "error rate per tool over its last calls",
  config = {
    threshold = { type = "number", default = 0.5, description = "error rate (0..1) that raises the alert" },
    window = { type = "integer", default = 20 },
    min_calls = { type = "integer", default = 5 },
  },
  match = { method = "tools/call" },
}

function alert(call, ctx)
  local history = argus.state[call.tool] or {}
  argus.state[call.tool] = history
  history[#history + 1] = call.is_error and 1 or 0
  if #history > ctx.config.window then table.remove(history, 1) end
  if #history < ctx.config.min_calls then return nil end

  local failures = 0
  for _, failed in ipairs(history) do failures = failures + failed end
  local rate = failures / #history
  argus.metric.gauge("tool_error_rate", rate, { tool = call.tool })
  if rate >= ctx.config.threshold then
    return {
      level = rate >= 0.9 and "critical" or "warning",
      message = ("%s fails %d%% of the time (%d of its last %d calls)%s")
        :format(call.tool, math.floor(rate * 100 + 0.5), failures, #history,
                call.error_message and (": " .. call.error_message) or ""),
      key = "errors:" .. call.server .. ":" .. call.tool,
    }
  end
end
