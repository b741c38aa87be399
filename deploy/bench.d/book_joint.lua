-- wrk: book a joint appointment (three agencies and a room) at a random free start on every request.
--   BENCH_LOCATION, BENCH_TYPE  ids; BENCH_STARTS  comma-separated RFC 3339 starts (from available-times)
--   BENCH_TOKEN  optional bearer token (staff booking); without it the booking is a citizen's (public)
--   BENCH_REFS  optional file: done() writes the reference of every 201 there, one a line (to check them against the
--               database afterwards: requests still in flight when wrk stops may book without wrk seeing the answer)
-- Each start has room for a few bookings (one per free room and staff trio); when they are gone the answer is 409
-- with alternatives, which is the correct answer and counted apart. done() prints "created=N conflicts=N other=N".
local location = assert(os.getenv("BENCH_LOCATION"), "BENCH_LOCATION is not set")
local type_id = assert(os.getenv("BENCH_TYPE"), "BENCH_TYPE is not set")
local start_list = assert(os.getenv("BENCH_STARTS"), "BENCH_STARTS is not set")
local token = os.getenv("BENCH_TOKEN")

local threads = {}
function setup(thread)
  thread:set("seed", #threads + 1)
  table.insert(threads, thread)
end

local starts = {}
created, conflicts, other = 0, 0, 0
refs = ""
function init(args)
  math.randomseed(os.time() * 1000 + seed)
  for s in string.gmatch(start_list, "([^,]+)") do starts[#starts + 1] = s end
  assert(#starts > 0, "BENCH_STARTS holds no start")
  wrk.method = "POST"
  wrk.path = "/api/v1/appointments"
  wrk.headers["Content-Type"] = "application/json"
  if token and token ~= "" then wrk.headers["Authorization"] = "Bearer " .. token end
end

local n = 0
function request()
  n = n + 1
  local body = string.format('{"locationId":"%s","appointmentTypeId":"%s","start":"%s","persons":1,' ..
    '"citizen":{"name":"Bench %d-%d","email":"bench%d-%d@example.org","language":"nl"}}',
    location, type_id, starts[math.random(#starts)], seed, n, seed, n)
  return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
  if status == 201 then
    created = created + 1
    refs = refs .. (body:match('"reference":%s*"(%w+)"') or "?") .. "\n"
  elseif status == 409 then conflicts = conflicts + 1
  else other = other + 1 end
end

function done(summary, latency, requests)
  local c, k, o = 0, 0, 0
  for _, t in ipairs(threads) do
    c = c + t:get("created"); k = k + t:get("conflicts"); o = o + t:get("other")
  end
  io.write(string.format("created=%d conflicts=%d other=%d\n", c, k, o))
  local path = os.getenv("BENCH_REFS")
  if path and path ~= "" then
    local f = assert(io.open(path, "w"))
    for _, t in ipairs(threads) do f:write(t:get("refs")) end
    f:close()
  end
end
