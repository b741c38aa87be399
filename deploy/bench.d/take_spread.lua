-- wrk: take a number, anonymously, for a location + service pair chosen at random on every request.
--   BENCH_PAIRS  comma-separated "locationId:serviceId" pairs (deploy/bench: 16 locations × 3 services = 48
--                pairs, each service with its own ticket prefix, so 48 counters share the load as in pgbench)
-- The requests are built once per thread; request() only picks one, so wrk itself costs as little as possible.
local pair_list = assert(os.getenv("BENCH_PAIRS"), "BENCH_PAIRS is not set")

local threads = {}
function setup(thread)
  thread:set("seed", #threads + 1)
  table.insert(threads, thread)
end

local requests = {}
function init(args)
  math.randomseed(os.time() * 1000 + seed)
  for location, service in string.gmatch(pair_list, "([^,:]+):([^,]+)") do
    requests[#requests + 1] = wrk.format("POST", "/api/v1/locations/" .. location .. "/tickets",
      { ["Content-Type"] = "application/json" }, '{"serviceId": "' .. service .. '"}')
  end
  assert(#requests > 0, "BENCH_PAIRS holds no location:service pair")
end

function request()
  return requests[math.random(#requests)]
end
