-- Shared by the submission scripts: random submission keys, URL encoding, and the count of
-- answered requests by status, which bench/run.py checks against the database.
local M = {}
local threads = {}

function M.seed()
  -- One seed per thread: the thread's table address differs between threads.
  local address = tonumber(tostring({}):match("0x(%x+)") or "0", 16) or 0
  math.randomseed(os.time() + address % 1000003)
end

function M.key()
  local function hex(n) local s = "" for _ = 1, n do s = s .. string.format("%04x", math.random(0, 65535)) end return s end
  local h = hex(8)
  return h:sub(1, 8) .. "-" .. h:sub(9, 12) .. "-4" .. h:sub(14, 16) .. "-a" .. h:sub(18, 20) .. "-" .. h:sub(21, 32)
end

function M.urlencode(s)
  return (s:gsub("[^%w%-_%.~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

function M.point()
  return math.random(1, tonumber(os.getenv("BENCH_POINTS") or "5000"))
end

-- ``number(headers, body)`` reads the request number from an answer; every number answered is
-- written to a file of BENCH_ANSWERS (one per thread) that bench/run.py looks up in the database.
function M.install(expected, number)
  function setup(thread) table.insert(threads, thread) end
  function init(args)
    M.seed() answered = 0 refused = 0
    answers = io.open(os.getenv("BENCH_ANSWERS") .. "." .. tostring({}):match("0x(%x+)"), "w")
  end
  function response(status, headers, body)
    if status == expected then
      answered = answered + 1
      answers:write((number(headers, body) or "?") .. "\n")
      answers:flush()
    else
      refused = refused + 1
    end
  end
  function done(summary, latency, requests)
    local ok, bad = 0, 0
    for _, t in ipairs(threads) do ok = ok + t:get("answered") bad = bad + t:get("refused") end
    local e = summary.errors
    io.write(string.format(
      "RESULT answered=%d refused=%d requests=%d socket_errors=%d p50_us=%d p99_us=%d\n",
      ok, bad, summary.requests, e.connect + e.read + e.write + e.timeout,
      latency:percentile(50), latency:percentile(99)))
  end
end

return M
