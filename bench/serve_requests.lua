-- wrk script for bench/serve_bench.sh: REST proxy v2 produce requests of RECORDS pin records
-- each (env SERVE_BENCH_RECORDS, default 1) to /topics/$SERVE_BENCH_TOPIC. Bodies are built
-- once in init() (distinct index values, so keys spread over partitions) and cycled, so that
-- wrk spends its share of the 2 cores sending, not building strings in Lua.
local records = tonumber(os.getenv("SERVE_BENCH_RECORDS") or "1")
local topic = os.getenv("SERVE_BENCH_TOPIC") or "pinterest.pin"
local bodies = {}
local next_body = 1

local function pin(index)
  return '{"index":' .. index .. ',"unique_id":"7c6f0a4c-55d1-4d5a-8d3f-0ad7e2d6e3f1",'
    .. '"title":"No Title Data Available","description":"Hand-lettered quote on a watercolour '
    .. 'background, ideal for a bedroom wall","poster_name":"Artful Hands","follower_count":"7k",'
    .. '"tag_list":"Art,Watercolor,Quotes,Lettering","is_image_or_video":"image",'
    .. '"image_src":"https://i.pinimg.com/originals/a1/b2/c3/a1b2c3.jpg","downloaded":1,'
    .. '"save_location":"Local save in /data/art","category":"art"}'
end

-- setup() runs in the main Lua state once per wrk thread; each thread gets its own index range.
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("thread_number", threads)
end

function init(args)
  local count = records == 1 and 1000 or 50
  local index = (tonumber(thread_number) or 0) * 10000000
  for b = 1, count do
    local parts = {}
    for r = 1, records do
      index = index + 1
      parts[r] = '{"value":' .. pin(index) .. '}'
    end
    bodies[b] = wrk.format("POST", "/topics/" .. topic,
      {["Content-Type"] = "application/vnd.kafka.json.v2+json"},
      '{"records":[' .. table.concat(parts, ",") .. ']}')
  end
end

function request()
  local body = bodies[next_body]
  next_body = next_body % #bodies + 1
  return body
end

function done(summary, latency, requests)
  io.write(string.format("RESULT requests=%d seconds=%.3f errors=%d p50_ms=%.2f p99_ms=%.2f\n",
    summary.requests, summary.duration / 1e6,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
