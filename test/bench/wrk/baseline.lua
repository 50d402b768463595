-- wrk script for the bare baseline: GET (MODE=poll) or a heartbeat-sized JSON POST (MODE=heartbeat).
local mode = os.getenv("MODE") or "poll"
-- The same heartbeat body as agents.lua sends.
local body = '{"agentVersion":"0.1.0","vectorVersion":"0.58.0","appliedConfigVersion":3,' ..
  '"vectorRunning":true,"vectorUptimeSeconds":1837,"configError":null}'
request = function()
  if mode == "poll" then
    return wrk.format("GET", "/api/v1/agents/x/config?since=3", { ["Authorization"] = "Bearer AGT_x" })
  end
  return wrk.format("POST", "/api/v1/agents/x/heartbeat", { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer AGT_x" }, body)
end
