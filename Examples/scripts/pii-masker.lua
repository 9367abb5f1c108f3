-- Masks personal data in parameters and results: e-mail addresses keep their
-- first letter and domain (a***@example.com), phone numbers their last two
-- digits. Runs after secret redaction (lower priority).

SCRIPT = {
  name = "pii-masker",
  priority = 50,
  description = "e-mail addresses and phone numbers",
  config = {
    emails = { type = "boolean", default = true },
    phones = { type = "boolean", default = true },
  },
}

local settings

function init(config)
  settings = config
end

local function mask_email(user, domain)
  return user:sub(1, 1) .. "***@" .. domain
end

-- A phone number: an optional +, then 9 to 15 digits with spaces, dots, dashes or parentheses.
local function mask_phone(candidate)
  local digits = candidate:gsub("%D", "")
  if #digits < 9 or #digits > 15 then return nil end
  return (candidate:gsub("%d", "#", #digits - 2))
end

local function scrub(s)
  local total, n = 0, 0
  if settings.emails then
    s, n = s:gsub("([%w%._%%+%-]+)@([%w%-]+%.[%w%.%-]+)", mask_email)
    total = total + n
  end
  if settings.phones then
    s, n = s:gsub("%+?%(?%d[%d%s%.%-%(%)]+%d", function(candidate) return mask_phone(candidate) end)
    total = total + n
  end
  return s, total
end

local function walk(value)
  local changed = false
  for k, v in pairs(value) do
    if type(v) == "string" then
      local scrubbed, hits = scrub(v)
      if hits > 0 and scrubbed ~= v then value[k] = scrubbed; changed = true end
    elseif type(v) == "table" then
      changed = walk(v) or changed
    end
  end
  return changed
end

function redact(call, ctx)
  local part = ctx.phase == "response" and call.result or call.params
  if type(part) == "table" and walk(part) then return call end
end
