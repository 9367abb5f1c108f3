-- Alerts when a tool's p95 latency over its last calls crosses a threshold.
-- Keeps a sliding window of latencies per tool in argus.state.

SCRIPT = {
  name = "slow-call-alert",
  description = "p95 latency per tool over a sliding window",
  config = {
    threshold_ms = { type = "number", default = 1000, description = "p95 above this raises the alert" },
    window = { type = "integer", default = 50, description = "calls kept per tool" },
    min_calls = { type = "integer", default = 5, description = "calls needed before judging" },
    for_s = { type = "number", default = 0, description = "how long p95 must stay high before the alert fires" },
  },
  match = { method = "tools/call" },
}

function alert(call, ctx)
  if not call.latency_ms or call.status == "cancelled" then return nil end
  local windows = argus.state.windows or {}
  argus.state.windows = windows
  local window = windows[call.tool] or {}
  windows[call.tool] = window
  window[#window + 1] = call.latency_ms
  if #window > ctx.config.window then table.remove(window, 1) end
  if #window < ctx.config.min_calls then return nil end

  local p95 = argus.percentile(window, 95)
  argus.metric.gauge("tool_latency_p95_ms", p95, { tool = call.tool })
  if p95 > ctx.config.threshold_ms then
    return {
      level = "warning",
      message = ("%s is slow: p95 %.0f ms over its last %d calls (threshold %.0f ms)")
        :format(call.tool, p95, #window, ctx.config.threshold_ms),
      key = "slow:" .. call.server .. ":" .. call.tool,
      for_s = ctx.config.for_s,
    }
  end
end
