-- wrk script: POSTs GitHub-style push webhooks of about 7 KB, each with its own delivery id
-- and commit, signed with X-Hub-Signature-256 as GitHub signs them.
--
-- Nothing is hashed here: scripts/bench/sign-pushes signed a pool of pushes before wrk
-- started (a fixed ~7 KB prefix, then '"after":"<commit>"}'), and each request only copies
-- its commit and signature out of the pool. Thread t of n sends entries t, t+n, t+2n, …; an
-- entry sent twice is counted as `reused` (a repeated delivery, which juanie answers 200
-- "duplicate" instead of storing a run: the pool must be large enough for the run).
--
-- Environment: BENCH_POOL (the path sign-pushes wrote, without .prefix/.pool), BENCH_PATH,
-- BENCH_THREADS (wrk's -t).
local path = os.getenv("BENCH_PATH") or "/hooks/github/bench"
local pool_file = os.getenv("BENCH_POOL")
local threads = tonumber(os.getenv("BENCH_THREADS") or "1")
local kLine = 106 -- "<40 hex commit> <64 hex signature>\n"

local function slurp(name)
  local f = assert(io.open(name, "rb"))
  local data = f:read("*a")
  f:close()
  return data
end

-- setup() runs in wrk's main Lua state, once per thread; done() reads each thread's `reused`
-- (a global of that thread's state) through the list kept here.
local thread_list = {}
function setup(thread)
  thread:set("tid", #thread_list)
  thread_list[#thread_list + 1] = thread
end

local prefix, pool, size
local next_entry, wrapped = 0, false
reused = 0

function init(args)
  prefix = slurp(pool_file .. ".prefix")
  pool = slurp(pool_file .. ".pool")
  size = #pool / kLine
  next_entry = tid or 0
end

function request()
  if next_entry >= size then
    next_entry, wrapped = next_entry % size, true
  end
  if wrapped then reused = reused + 1 end
  local off = next_entry * kLine + 1
  next_entry = next_entry + threads
  local commit = pool:sub(off, off + 39)
  return wrk.format("POST", path, {
    ["Content-Type"] = "application/json",
    ["X-GitHub-Event"] = "push",
    ["X-GitHub-Delivery"] = "bench-" .. commit,
    ["X-Hub-Signature-256"] = "sha256=" .. pool:sub(off + 41, off + 104),
  }, prefix .. '"after":"' .. commit .. '"}')
end

function done(summary, latency, requests)
  local total_reused = 0
  for _, t in ipairs(thread_list) do
    total_reused = total_reused + (t:get("reused") or 0)
  end
  local seconds = summary.duration / 1e6
  io.write(string.format(
    "RESULT rps=%.0f p50_ms=%.2f p99_ms=%.2f requests=%d bad_status=%d socket_errors=%d reused=%d\n",
    summary.requests / seconds, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.requests, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    total_reused))
end
