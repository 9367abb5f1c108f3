---@meta
-- Type hints for Argus scripts, for the Lua language server (LuaLS).
-- Put this file in your workspace, or add its directory to "workspace.library".
-- Reference: Docs/LUA.md.

---@class ArgusScriptInfo
---@field name? string shown in outputs and messages (default: the file name)
---@field priority? integer higher runs first (default 0)
---@field match? { server?: string|string[], tool?: string|string[], method?: string|string[] } globs with * and ?
---@field config? table<string, { type?: "number"|"integer"|"string"|"boolean"|"array"|"object"|"any", default?: any, required?: boolean, description?: string }>
---@field description? string

---@type ArgusScriptInfo
SCRIPT = {}

---@class ArgusCall
---@field method string e.g. "tools/call"
---@field tool? string the tool of a tools/call
---@field target? string prompt name or resource URI
---@field params? table the request's params (decoded on first access)
---@field result? table the response's result (decoded on first access)
---@field error? { code: integer, message: string, data?: any } a JSON-RPC error
---@field is_error boolean a JSON-RPC error or a result with isError = true
---@field error_code? integer
---@field error_message? string
---@field status? "ok"|"error"|"cancelled"|"no_response"
---@field latency_ms? number
---@field started_at integer wall clock, ms since the epoch
---@field server string
---@field run? integer
---@field request_id any the JSON-RPC id
---@field direction "c2s"|"s2c"
---@field phase "request"|"response"|"notification"
---@field bytes_in integer
---@field bytes_out? integer
---@field progress_count integer
---@field seq? integer
---@field id? integer the Argus call id, when known
---@field replay_of? integer

---@class ArgusContext
---@field phase "request"|"response"|"notification"
---@field hook string
---@field script string
---@field server string
---@field run? integer
---@field config table the resolved configuration
---@field state table the same table as argus.state

---@class ArgusAlert
---@field level "info"|"warning"|"critical"
---@field message string
---@field key? string de-duplication key
---@field for_s? number fire only after being raised for this long

---@class ArgusMetric
local metric = {}
---Adds value (default 1).
---@param name string
---@param value? number
---@param labels? table<string, string|number|boolean>
function metric.counter(name, value, labels) end
---Records a current value.
---@param name string
---@param value number
---@param labels? table<string, string|number|boolean>
function metric.gauge(name, value, labels) end
---Records an observation.
---@param name string
---@param value number
---@param labels? table<string, string|number|boolean>
function metric.histogram(name, value, labels) end

---@class ArgusRedact
local redact = {}
---Keeps the last `keep` characters (default 4), masks the rest with "*".
---@param value any
---@param keep? integer
---@return string
function redact.mask(value, keep) end
---A stable pseudonym: "sha256:" and 16 hex digits.
---@param value any
---@return string
function redact.hash(value) end
---Replaces the value at a JSON Pointer (array indices from 0); true when something was there.
---@param value table
---@param pointer string e.g. "/arguments/token"
---@param replacement? any default "[REDACTED]"
---@return boolean
function redact.path(value, pointer, replacement) end

---@class ArgusJSON
local json = {}
---@param value any
---@return string
function json.encode(value) end
---@param text string
---@return any
function json.decode(text) end

---@class Argus
---@field null lightuserdata JSON null
---@field DROP lightuserdata return from redact to store only the call's metadata
---@field version string
---@field state table lives as long as the script
---@field config table the resolved configuration
---@field metric ArgusMetric
---@field redact ArgusRedact
---@field json ArgusJSON
argus = {}

---A log line (at most 100 per minute per script).
---@param ... any
function argus.log(...) end
---A warning log line.
---@param ... any
function argus.warn(...) end
---Raises an alert.
---@param level "info"|"warning"|"critical"
---@param message string
---@param options? { key?: string, for_s?: number }
function argus.alert(level, message, options) end
---Marks a table as a JSON array (a new empty one when nil).
---@param t? table
---@return table
function argus.array(t) end
---Nearest-rank percentile, p in 0..100.
---@param values number[]
---@param p number
---@return number?
function argus.percentile(values, p) end
---Wall-clock seconds.
---@return number
function argus.time() end
---Monotonic seconds.
---@return number
function argus.clock() end

---Called once after loading, with the resolved configuration.
---@type fun(config: table)?
init = nil
---Before a message is stored: nil (unchanged), the call with changed params/result/error, or argus.DROP.
---@type fun(call: ArgusCall, ctx: ArgusContext): (ArgusCall|table|lightuserdata|nil)?
redact = nil
---After each call.
---@type fun(call: ArgusCall, ctx: ArgusContext)?
on_call = nil
---After each call: nil or an alert.
---@type fun(call: ArgusCall, ctx: ArgusContext): ArgusAlert?
alert = nil
---After each call: emit argus.metric.* samples.
---@type fun(call: ArgusCall, ctx: ArgusContext)?
metric = nil
---Before a replay: nil (unchanged) or the new params.
---@type fun(params: table, call: ArgusCall, ctx: ArgusContext): table?
mutate_replay = nil
---Before a replay is diffed, on the recorded and the replayed outcome ({result=…} or {error=…}): nil or what to compare.
---@type fun(outcome: table, call: ArgusCall, ctx: ArgusContext): table?
normalize = nil
