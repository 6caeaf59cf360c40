-- The public API: a JSON POST to /api/v1/public/requests/ at a point of the data set, with a
-- new submission key. 201 = filed.
package.path = os.getenv("BENCH_LUA_DIR") .. "/?.lua;" .. package.path
local common = require("common")
common.install(201, function(headers, body)
  return body:match('"number":%s*"([^"]+)"')
end)
local headers = { ["Content-Type"] = "application/json" }

function request()
  local body = '{"point": "p' .. common.point() .. '", "enterprise_name": "压测企业", "contact_name": "张三",'
    .. ' "contact_phone": "13800138000", "category": "policy", "title": "压测诉求",'
    .. ' "content": "压测内容，验证提交。", "submission_key": "' .. common.key() .. '"}'
  return wrk.format("POST", "/api/v1/public/requests/", headers, body)
end
