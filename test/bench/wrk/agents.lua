-- wrk script: cycle through enrolled agents (from agents.txt: "id token version sha" per line, sha
-- the running config's SHA-256 or "-") and send either config polls (GET, up to date → 204) or
-- heartbeats (POST JSON), per MODE: "heartbeat" the plain one, "telemetry" one with the typical
-- telemetry payload of TELEMETRY_BODY_FILE (a heartbeat template: %s the applied version, %s the
-- runningConfigSha256 field).
local agents = {}
local mode = os.getenv("MODE") or "poll"
local file = os.getenv("AGENTS_FILE")
for line in io.lines(file) do
  local id, token, version, sha = line:match("^(%S+) (%S+) (%S+) (%S+)$")
  if id then agents[#agents + 1] = { id = id, token = token, version = version, sha = sha } end
end
local i = 0
-- The bundled agent's heartbeat, as it sends it between changes (agent/loop.ts heartbeatBody).
local body = '{"agentVersion":"0.1.0","vectorVersion":"0.58.0","appliedConfigVersion":%s,' ..
  '"vectorRunning":true,"vectorUptimeSeconds":1837,"configError":null,%s' ..
  '"capabilities":["token_rotation"]}'
if mode == "telemetry" then
  local f = assert(io.open(os.getenv("TELEMETRY_BODY_FILE")))
  body = f:read("*a")
  f:close()
end
-- Built once per agent, not per request.
for _, a in ipairs(agents) do
  local field = ""
  if a.sha ~= "-" then field = '"runningConfigSha256":"' .. a.sha .. '",' end
  a.body = string.format(body, a.version, field)
end

request = function()
  i = (i % #agents) + 1
  local a = agents[i]
  local headers = { ["Authorization"] = "Bearer " .. a.token }
  if mode == "poll" then
    return wrk.format("GET", "/api/v1/agents/" .. a.id .. "/config?since=" .. a.version, headers)
  end
  headers["Content-Type"] = "application/json"
  return wrk.format("POST", "/api/v1/agents/" .. a.id .. "/heartbeat", headers, a.body)
end
