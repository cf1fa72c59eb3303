-- wrk script of the Jiceng benchmarks (bench/common.py runs it).
--
--   wrk ... -s bench/wrk_report.lua URL -- METHOD [BODY_PREFIX]
--
-- GET: plain requests (headers such as Cookie come from wrk's -H options).
-- POST: an application/x-www-form-urlencoded body made of BODY_PREFIX (already URL-encoded)
-- followed by "<thread>-<counter>", so every request carries different text.
-- At the end one line "JSON:{...}" gives the counts and the latency percentiles in
-- microseconds; bench/common.py reads it.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_number", #threads)
end

function init(args)
  method = args[1] or "GET"
  body_prefix = args[2] or ""
  counter = 0
  if method == "POST" then
    wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  end
end

function request()
  if method ~= "POST" then
    return wrk.format("GET")
  end
  counter = counter + 1
  local body = body_prefix .. thread_number .. "-" .. counter
  return wrk.format("POST", nil, nil, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'JSON:{"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,' ..
    '"status":%d,"timeout":%d,"p50":%d,"p90":%d,"p95":%d,"p99":%d,"max":%d,"mean":%.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write,
    e.status, e.timeout, latency:percentile(50), latency:percentile(90),
    latency:percentile(95), latency:percentile(99), latency.max, latency.mean))
end
