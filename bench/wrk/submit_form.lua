-- The QR form: a POST to /s/<point's code>/ as a phone sends it, with the CSRF cookie and token
-- bench/run.py read from the form page (BENCH_CSRF_COOKIE, BENCH_CSRF_TOKEN). 302 = filed.
package.path = os.getenv("BENCH_LUA_DIR") .. "/?.lua;" .. package.path
local common = require("common")
common.install(302, function(headers, body)
  return (headers["Location"] or headers["location"] or ""):match("/track/([^/]+)/")
end)
local token = os.getenv("BENCH_CSRF_TOKEN")
local headers = {
  ["Content-Type"] = "application/x-www-form-urlencoded",
  ["Cookie"] = "csrftoken=" .. os.getenv("BENCH_CSRF_COOKIE"),
}
local fixed = "&enterprise=&enterprise_name=" .. common.urlencode("压测企业")
  .. "&contact_name=" .. common.urlencode("张三") .. "&contact_phone=13800138000&category=policy"
  .. "&title=" .. common.urlencode("压测诉求") .. "&content=" .. common.urlencode("压测内容，验证提交。")
  .. "&website="

function request()
  local body = "csrfmiddlewaretoken=" .. token .. "&submission_key=" .. common.key() .. fixed
  return wrk.format("POST", "/s/qr" .. common.point() .. "/", headers, body)
end
