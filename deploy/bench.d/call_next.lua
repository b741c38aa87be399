-- wrk: desks calling the next visitor and finishing them, in a loop.
--   BENCH_STAFF_TOKEN  bearer token of one staff member (who serves the queued services)
--   BENCH_DESKS        comma-separated desk ids: at least one per connection, plus spares
--   BENCH_THREADS      wrk's -t, to split the desks between the threads
--
-- Every desk alternates POST /api/v1/desks/{desk}/call-next and POST /api/v1/tickets/{ticket}/finish, and never has
-- two requests in flight (a desk holds one ticket at a time; a second call-next would be a 409).
-- wrk's request() does not say which connection it is for, so desks are not tied to connections: each thread
-- keeps a queue of the next action of each of its idle desks, and response() tells from the body which desk
-- and ticket the answer was for (call-next answers with the ticket incl. deskId; finish with the ticket id).
-- A response that names no desk (204: queue empty, or an error) loses that desk for the rest of the run, so
-- each thread gets spare desks; the counts are printed by done() and the bench script checks them.
local token = assert(os.getenv("BENCH_STAFF_TOKEN"), "BENCH_STAFF_TOKEN is not set")
local desk_list = assert(os.getenv("BENCH_DESKS"), "BENCH_DESKS is not set")
local thread_count = tonumber(os.getenv("BENCH_THREADS") or "2")

-- Setup (main Lua state): give thread i every thread_count-th desk.
local threads = {}
function setup(thread)
  local index = #threads
  local mine = {}
  local k = 0
  for desk in string.gmatch(desk_list, "[^,]+") do
    if k % thread_count == index then mine[#mine + 1] = desk end
    k = k + 1
  end
  thread:set("my_desks", table.concat(mine, ","))
  table.insert(threads, thread)
end

-- Running (one Lua state per thread).
local headers = { ["Authorization"] = "Bearer " .. token }
local pending, first, last = {}, 1, 0   -- FIFO of request paths
local owner = {}                         -- ticket id -> desk id
calls, finishes, empty, unexpected, starved = 0, 0, 0, 0, 0

local function push(path) last = last + 1; pending[last] = path end
local function call_next(desk) return "/api/v1/desks/" .. desk .. "/call-next" end

function init(args)
  for desk in string.gmatch(my_desks or "", "[^,]+") do push(call_next(desk)) end
end

function request()
  if first > last then
    -- Every desk of this thread is busy or lost: keep the connection alive with a no-op, counted as an error.
    starved = starved + 1
    return wrk.format("GET", "/healthz")
  end
  local path = pending[first]
  pending[first] = nil
  first = first + 1
  return wrk.format("POST", path, headers)
end

function response(status, _, body)
  if status == 200 then
    local id = body:match('"id"%s*:%s*"([^"]+)"')
    local state = body:match('"status"%s*:%s*"([^"]+)"')
    if state == "called" then
      local desk = body:match('"deskId"%s*:%s*"([^"]+)"')
      if id and desk then
        calls = calls + 1
        owner[id] = desk
        push("/api/v1/tickets/" .. id .. "/finish")
        return
      end
    elseif state == "done" and id and owner[id] then
      finishes = finishes + 1
      push(call_next(owner[id]))
      owner[id] = nil
      return
    elseif body:match('"status"%s*:%s*"ok"') then
      return  -- the no-op of a starved connection
    end
  elseif status == 204 then
    empty = empty + 1
    return
  end
  unexpected = unexpected + 1
end

function done(summary, latency, requests)
  local t = { calls = 0, finishes = 0, empty = 0, unexpected = 0, starved = 0 }
  for _, thread in ipairs(threads) do
    for name, _ in pairs(t) do t[name] = t[name] + (thread:get(name) or 0) end
  end
  io.write(string.format("BENCH calls=%d finishes=%d empty=%d unexpected=%d starved=%d duration_us=%d\n",
    t.calls, t.finishes, t.empty, t.unexpected, t.starved, summary.duration))
end
