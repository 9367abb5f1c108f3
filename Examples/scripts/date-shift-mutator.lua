-- For replay: moves the dates in a call's parameters forward by as many days
-- as have passed since the call was recorded. A call recorded on 2026-03-10
-- asking for "2026-03-09" (yesterday) is replayed asking for yesterday again.
-- Handles YYYY-MM-DD dates and ISO date-times (the time of day is kept).

SCRIPT = {
  name = "date-shift-mutator",
  description = "replays dates relative to today",
  config = {
    fields = { type = "array", default = {}, description = "only these argument names (empty: every date-looking string)" },
  },
}

-- Days since 1970-01-01 for a proleptic Gregorian date.
local function days_from_civil(y, m, d)
  y = m <= 2 and y - 1 or y
  local era = (y >= 0 and y or y - 399) // 400
  local yoe = y - era * 400
  local doy = (153 * (m + (m > 2 and -3 or 9)) + 2) // 5 + d - 1
  local doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
  return era * 146097 + doe - 719468
end

local function civil_from_days(z)
  z = z + 719468
  local era = (z >= 0 and z or z - 146096) // 146097
  local doe = z - era * 146097
  local yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
  local y = yoe + era * 400
  local doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
  local mp = (5 * doy + 2) // 153
  local d = doy - (153 * mp + 2) // 5 + 1
  local m = mp < 10 and mp + 3 or mp - 9
  return m <= 2 and y + 1 or y, m, d
end

local function shift(text, offset)
  return (text:gsub("^(%d%d%d%d)%-(%d%d)%-(%d%d)", function(y, m, d)
    local y2, m2, d2 = civil_from_days(days_from_civil(tonumber(y), tonumber(m), tonumber(d)) + offset)
    return ("%04d-%02d-%02d"):format(y2, m2, d2)
  end))
end

local function wanted(name)
  local fields = argus.config.fields
  if #fields == 0 then return true end
  for _, field in ipairs(fields) do if field == name then return true end end
  return false
end

local function walk(value, offset)
  for k, v in pairs(value) do
    if type(v) == "string" and v:match("^%d%d%d%d%-%d%d%-%d%d") and wanted(k) then
      value[k] = shift(v, offset)
    elseif type(v) == "table" then
      walk(v, offset)
    end
  end
end

function mutate_replay(params, call, ctx)
  local recorded_day = (call.started_at // 1000) // 86400
  local today = math.floor(argus.time()) // 86400
  local offset = today - recorded_day
  if offset == 0 or type(params.arguments) ~= "table" then return nil end
  walk(params.arguments, offset)
  return params
end
