-- Derives what each tool call costs: a price per call (per tool, from config)
-- plus a price per kilobyte returned. Emits a counter you can sum per tool,
-- and the size of outputs as a histogram.

SCRIPT = {
  name = "cost-metric",
  description = "cost per tool call in USD",
  config = {
    prices = { type = "object", default = { default = 0.0005 }, description = "USD per call, by tool name (or default)" },
    per_kb_out = { type = "number", default = 0.0001, description = "USD per KB of result" },
  },
}

function metric(call, ctx)
  if call.method ~= "tools/call" or call.status == "no_response" then return end
  local prices = ctx.config.prices
  local per_call = prices[call.tool] or prices.default or 0
  local kb = (call.bytes_out or 0) / 1024
  local cost = per_call + kb * ctx.config.per_kb_out
  argus.metric.counter("tool_cost_usd", cost, { tool = call.tool, server = call.server })
  argus.metric.histogram("tool_output_kb", kb, { tool = call.tool })
end
