-- wrk script: POSTs GitHub-style push webhooks of about 7 KB, each with its own delivery id
-- and commit, signed with X-Hub-Signature-256 as GitHub signs them.
--
-- HMAC-SHA256 in LuaJIT would cost more than the server's work if done over 7 KB per request,
-- so the body is a fixed prefix (padded to whole 64-byte blocks) plus a short varying tail:
-- the SHA-256 state after the key block and the prefix is computed once per thread, and each
-- request only hashes its tail. The signature is exactly what GitHub would send.
--
-- Environment: BENCH_SECRET, BENCH_PATH, BENCH_RUN (a number unique to each wrk run).
local bit = require("bit")
local band, bor, bxor, bnot = bit.band, bit.bor, bit.bxor, bit.bnot
local lshift, rshift, ror, tobit = bit.lshift, bit.rshift, bit.ror, bit.tobit

local K = {
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
}
for i = 1, 64 do K[i] = tobit(K[i]) end

local W = {}
local function compress(H, s, off)
  for i = 0, 15 do
    local a, b, c, d = s:byte(off + i * 4, off + i * 4 + 3)
    W[i] = bor(lshift(a, 24), lshift(b, 16), lshift(c, 8), d)
  end
  for i = 16, 63 do
    local w15, w2 = W[i - 15], W[i - 2]
    local s0 = bxor(ror(w15, 7), ror(w15, 18), rshift(w15, 3))
    local s1 = bxor(ror(w2, 17), ror(w2, 19), rshift(w2, 10))
    W[i] = tobit(W[i - 16] + s0 + W[i - 7] + s1)
  end
  local a, b, c, d, e, f, g, h = H[1], H[2], H[3], H[4], H[5], H[6], H[7], H[8]
  for i = 0, 63 do
    local S1 = bxor(ror(e, 6), ror(e, 11), ror(e, 25))
    local ch = bxor(band(e, f), band(bnot(e), g))
    local t1 = tobit(h + S1 + ch + K[i + 1] + W[i])
    local S0 = bxor(ror(a, 2), ror(a, 13), ror(a, 22))
    local maj = bxor(band(a, b), band(a, c), band(b, c))
    h, g, f, e, d, c, b, a = g, f, e, tobit(d + t1), c, b, a, tobit(t1 + S0 + maj)
  end
  H[1], H[2], H[3], H[4] = tobit(H[1] + a), tobit(H[2] + b), tobit(H[3] + c), tobit(H[4] + d)
  H[5], H[6], H[7], H[8] = tobit(H[5] + e), tobit(H[6] + f), tobit(H[7] + g), tobit(H[8] + h)
end

local function initial()
  return { tobit(0x6a09e667), tobit(0xbb67ae85), tobit(0x3c6ef372), tobit(0xa54ff53a),
           tobit(0x510e527f), tobit(0x9b05688c), tobit(0x1f83d9ab), tobit(0x5be0cd19) }
end

local function copy(H) return { H[1], H[2], H[3], H[4], H[5], H[6], H[7], H[8] } end

-- Hashes whole blocks of `s` into H.
local function update(H, s)
  for off = 1, #s, 64 do compress(H, s, off) end
end

-- Finishes a hash whose state H has absorbed `done` bytes, with `tail` as the rest.
local function finish(H, done, tail)
  local bits = (done + #tail) * 8
  local zeros = (55 - #tail) % 64
  local hi, lo = math.floor(bits / 4294967296), bits % 4294967296
  local msg = tail .. "\128" .. string.rep("\0", zeros) ..
    string.char(band(rshift(hi, 24), 255), band(rshift(hi, 16), 255), band(rshift(hi, 8), 255), band(hi, 255),
                band(rshift(lo, 24), 255), band(rshift(lo, 16), 255), band(rshift(lo, 8), 255), band(lo, 255))
  update(H, msg)
  return H
end

local function bytes(H)
  local out = {}
  for i = 1, 8 do
    local w = H[i]
    out[#out + 1] = string.char(band(rshift(w, 24), 255), band(rshift(w, 16), 255), band(rshift(w, 8), 255), band(w, 255))
  end
  return table.concat(out)
end

local function hex(H)
  local out = {}
  for i = 1, 8 do out[i] = bit.tohex(H[i]) end
  return table.concat(out)
end

local secret = os.getenv("BENCH_SECRET") or "bench-secret"
local path = os.getenv("BENCH_PATH") or "/hooks/github/bench"
-- Distinguishes the runs of one benchmark so no delivery id or commit repeats across them.
local run = tonumber(os.getenv("BENCH_RUN") or "0")

local function pad_key(byte)
  local out = {}
  for i = 1, 64 do
    local k = i <= #secret and secret:byte(i) or 0
    out[i] = string.char(bxor(k, byte))
  end
  return table.concat(out)
end

-- The fixed part of the body: a realistic push with a list of commits, ~7 KB.
local commits = {}
for i = 1, 18 do
  commits[i] = string.format(
    '{"id":"%040x","tree_id":"%040x","distinct":true,"message":"Change %d of the benchmark series",' ..
    '"timestamp":"2026-11-27T10:12:58+00:00","url":"https://github.com/acme/bench/commit/%040x",' ..
    '"author":{"name":"Bench","email":"bench@example.com","username":"bench"},' ..
    '"added":[],"removed":[],"modified":["src/file%d.go"]}', i, i, i, i, i)
end
local prefix = '{"ref":"refs/heads/feature/bench","before":"1111111111111111111111111111111111111111",' ..
  '"repository":{"full_name":"acme/bench","clone_url":"https://github.com/acme/bench.git"},' ..
  '"pusher":{"name":"bench","email":"bench@example.com"},"created":false,"deleted":false,' ..
  '"commits":[' .. table.concat(commits, ",") .. '],'
prefix = prefix .. string.rep(" ", (64 - #prefix % 64) % 64)

local inner0, outer0
local thread_id = 0
local counter = 0

function setup(thread)
  thread_id = thread_id + 1
  thread:set("tid", thread_id)
end

function init(args)
  inner0 = initial()
  update(inner0, pad_key(0x36))
  update(inner0, prefix)
  outer0 = initial()
  update(outer0, pad_key(0x5c))
end

function request()
  counter = counter + 1
  local id = string.format("%04x%04x%032x", run, tid or 0, counter)
  local tail = '"after":"' .. id .. '"}'
  local inner = finish(copy(inner0), 64 + #prefix, tail)
  local mac = finish(copy(outer0), 64, bytes(inner))
  return wrk.format("POST", path, {
    ["Content-Type"] = "application/json",
    ["X-GitHub-Event"] = "push",
    ["X-GitHub-Delivery"] = "bench-" .. id,
    ["X-Hub-Signature-256"] = "sha256=" .. hex(mac),
  }, prefix .. tail)
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  io.write(string.format("RESULT rps=%.0f p50_ms=%.2f p99_ms=%.2f requests=%d bad_status=%d socket_errors=%d\n",
    summary.requests / seconds, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.requests, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
