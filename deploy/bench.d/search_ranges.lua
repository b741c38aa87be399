-- wrk: available times over a different range on (almost) every request, so the benchmark does not only measure one
-- cached answer: overlapping ranges of 1 day to 8 weeks starting anywhere in the calendar.
--   BENCH_SEARCH  path and query without from/to, e.g. /api/v1/locations/<id>/available-times?appointmentType=<id>
--   BENCH_RANGES  comma-separated "from:to" local date pairs (deploy/bench-search draws them)
local base = assert(os.getenv("BENCH_SEARCH"), "BENCH_SEARCH is not set")
local range_list = assert(os.getenv("BENCH_RANGES"), "BENCH_RANGES is not set")

local threads = {}
function setup(thread)
  thread:set("seed", #threads + 1)
  table.insert(threads, thread)
end

local requests = {}
function init(args)
  math.randomseed(os.time() * 1000 + seed)
  for from, to in string.gmatch(range_list, "([^,:]+):([^,]+)") do
    requests[#requests + 1] = wrk.format("GET", base .. "&from=" .. from .. "&to=" .. to)
  end
  assert(#requests > 0, "BENCH_RANGES holds no from:to pair")
end

function request()
  return requests[math.random(#requests)]
end
