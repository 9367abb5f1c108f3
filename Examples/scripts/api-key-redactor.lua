-- Redacts GitHub credentials that Argus's built-in rules do not know: classic
-- 40-hex tokens ("token 0123…", https://<token>@github.com). Matches keep their
-- last 4 characters so calls stay tellable apart. The rules for Google (AIza…),
-- GitLab (glpat-…) and npm (npm_…) tokens and URL query strings show the same
-- for your own shapes; Argus redacts those four itself now, before any script.

SCRIPT = {
  name = "api-key-redactor",
  priority = 100,
  description = "GitHub and API-key credentials in any string",
  config = {
    keep_last = { type = "integer", default = 4, description = "characters left visible" },
    query_params = { type = "array", default = { "access_token", "api_key", "apikey", "key", "token", "sig" },
                     description = "URL query parameters whose values are secrets" },
  },
}

local keep_last
local query_params = {}

function init(config)
  keep_last = config.keep_last
  for _, name in ipairs(config.query_params) do query_params[name:lower()] = true end
end

local function mask(secret)
  return argus.redact.mask(secret, keep_last)
end

-- Each rule: a cheap plain-text trigger, then the pattern work only when the
-- trigger is present (most strings have none, and gsub is the costly part).
local rules = {
  { "token", function(s)
      return s:gsub("(token%s+)(" .. ("%x"):rep(40) .. ")%f[^%x]", function(prefix, token) return prefix .. mask(token) end)
    end },
  { "@github.com", function(s)
      return s:gsub("(https?://)([%w_%-]+)(@github%.com)", function(scheme, token, host) return scheme .. mask(token) .. host end)
    end },
  { "AIza", function(s)
      return s:gsub("%f[%w](AIza[%w_%-]+)", function(key) return #key >= 35 and mask(key) or key end)
    end },
  { "glpat-", function(s) return s:gsub("%f[%w](glpat%-[%w_%-]+)", mask) end },
  { "npm_", function(s) return s:gsub("%f[%w](npm_%w+)", function(token) return #token >= 36 and mask(token) or token end) end },
  { "=", function(s)
      return s:gsub("([?&])([%w_%-]+)=([^&#%s\"]+)", function(sep, name, value)
        if query_params[name:lower()] then return sep .. name .. "=" .. mask(value) end
      end)
    end },
}

-- Returns the string with credentials masked, and whether anything changed.
local function scrub(s)
  if #s < 20 then return s, false end  -- shorter than any credential: most strings stop here
  local total = 0
  for _, rule in ipairs(rules) do
    if s:find(rule[1], 1, true) then
      local n
      s, n = rule[2](s)
      total = total + n
    end
  end
  return s, total > 0
end

-- Walks tables, scrubbing every string; returns true when something changed.
local function walk(value)
  local changed = false
  for k, v in pairs(value) do
    if type(v) == "string" then
      local scrubbed, hit = scrub(v)
      if hit then value[k] = scrubbed; changed = true end
    elseif type(v) == "table" then
      changed = walk(v) or changed
    end
  end
  return changed
end

function redact(call, ctx)
  local part = ctx.phase == "response" and (call.result or call.error) or call.params
  if type(part) == "table" and walk(part) then return call end
end
