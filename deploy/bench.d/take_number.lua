-- wrk: take a number, anonymously (like a kiosk or a phone).
--   BENCH_LOCATION_ID, BENCH_SERVICE_ID: the location and the service to take numbers for.
-- The request is static (built once by wrk), so wrk itself costs as little as possible.
local location = assert(os.getenv("BENCH_LOCATION_ID"), "BENCH_LOCATION_ID is not set")
local service = assert(os.getenv("BENCH_SERVICE_ID"), "BENCH_SERVICE_ID is not set")

wrk.method = "POST"
wrk.path = "/api/v1/locations/" .. location .. "/tickets"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"serviceId": "' .. service .. '"}'
