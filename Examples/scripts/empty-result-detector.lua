-- Notices tools that answer without data: no content, blank text, "[]", "{}",
-- "null", "no results", or structured content whose lists are all empty.
-- An agent that gets nothing back often carries on as if it had an answer
-- (the grounding problem); this makes those calls visible, and alerts when a
-- tool keeps doing it.

SCRIPT = {
  name = "empty-result-detector",
  description = "tool calls that returned no data",
  config = {
    alert_after = { type = "integer", default = 3, description = "consecutive empty results that raise an alert" },
    phrases = { type = "array", default = { "no results", "not found", "nothing found", "0 results", "no matches" } },
  },
  match = { method = "tools/call" },
}

local function blank(text)
  local t = text:lower():gsub("^%s+", ""):gsub("%s+$", "")
  if t == "" or t == "[]" or t == "{}" or t == "null" or t == "none" then return true end
  for _, phrase in ipairs(argus.config.phrases) do
    if t == phrase or t:find("^" .. phrase:gsub("%p", "%%%0") .. "[%.!]?$") then return true end
  end
  return false
end

-- True when a structured value carries nothing: empty tables, or tables of empties.
local function hollow(value)
  if value == nil or value == argus.null then return true end
  if type(value) == "string" then return blank(value) end
  if type(value) ~= "table" then return false end
  for _, v in pairs(value) do
    if not hollow(v) then return false end
  end
  return true
end

local function empty_result(result)
  if type(result) ~= "table" then return true end
  if result.structuredContent ~= nil and not hollow(result.structuredContent) then return false end
  for _, block in ipairs(result.content or {}) do
    if block.type ~= "text" then return false end      -- images, resources: data
    if not blank(block.text or "") then return false end
  end
  return true
end

function on_call(call, ctx)
  if call.is_error or call.status ~= "ok" then return end
  local streak = argus.state
  if empty_result(call.result) then
    streak[call.tool] = (streak[call.tool] or 0) + 1
    argus.metric.counter("empty_results", 1, { tool = call.tool })
    argus.warn(("%s returned no data (%d in a row)"):format(call.tool, streak[call.tool]))
    if streak[call.tool] >= ctx.config.alert_after then
      argus.alert("warning", ("%s returned no data %d times in a row: the agent may be answering without grounding")
        :format(call.tool, streak[call.tool]), { key = "empty:" .. call.server .. ":" .. call.tool })
    end
  else
    streak[call.tool] = 0
  end
end
