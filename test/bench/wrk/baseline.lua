-- wrk script for the bare baseline: GET (MODE=poll) or a heartbeat-sized JSON POST (MODE=heartbeat),
-- or the heartbeat with telemetry of TELEMETRY_BODY_FILE (MODE=telemetry), as agents.lua sends them.
local mode = os.getenv("MODE") or "poll"
local sha = '"runningConfigSha256":"' .. string.rep("0", 64) .. '",'
-- The same heartbeat body as agents.lua sends.
local body = '{"agentVersion":"0.1.0","vectorVersion":"0.58.0","appliedConfigVersion":3,' ..
  '"vectorRunning":true,"vectorUptimeSeconds":1837,"configError":null,' .. sha ..
  '"capabilities":["token_rotation"]}'
if mode == "telemetry" then
  local f = assert(io.open(os.getenv("TELEMETRY_BODY_FILE")))
  body = string.format(f:read("*a"), 3, sha)
  f:close()
end
request = function()
  if mode == "poll" then
    return wrk.format("GET", "/api/v1/agents/x/config?since=3", { ["Authorization"] = "Bearer AGT_x" })
  end
  return wrk.format("POST", "/api/v1/agents/x/heartbeat", { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer AGT_x" }, body)
end
