-- wrk script: sends the benchmark's headers and prints one JSON line with the figures bench.py
-- reads (wrk's own --latency output has no p95).
local token = os.getenv("BENCH_TOKEN")
if token and #token > 0 then
  wrk.headers["Authorization"] = "Bearer " .. token
end
-- Straight to Gunicorn (cpu_per_request.py), what nginx would say: the client spoke HTTPS.
local proto = os.getenv("BENCH_FORWARDED_PROTO")
if proto and #proto > 0 then
  wrk.headers["X-Forwarded-Proto"] = proto
end

-- A command instead of a GET: BENCH_METHOD (PATCH, POST) with BENCH_BODY, a JSON template whose
-- %s becomes a value unique to each request (so that every PATCH really changes the task).
local method = os.getenv("BENCH_METHOD")
if method and #method > 0 then
  local template = os.getenv("BENCH_BODY")
  wrk.headers["Content-Type"] = "application/json"
  local sent = 0
  request = function()
    sent = sent + 1
    return wrk.format(method, nil, nil, string.format(template, os.time() .. "-" .. sent))
  end
end

local statuses = {}
response = function(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

done = function(summary, latency, requests)
  local s = summary.duration / 1e6
  local codes = {}
  for code, n in pairs(statuses) do codes[#codes + 1] = string.format('"%d": %d', code, n) end
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "seconds": %.3f, "rps": %.1f, "bytes": %d, ' ..
    '"p50_ms": %.2f, "p95_ms": %.2f, "p99_ms": %.2f, "max_ms": %.2f, "mean_ms": %.2f, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"statuses": {%s}}\n',
    summary.requests, s, summary.requests / s, summary.bytes,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, latency.mean / 1000,
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.status,
    summary.errors.timeout, table.concat(codes, ", ")))
end
