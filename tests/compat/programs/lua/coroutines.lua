-- Lua: coroutines as generators, producer/consumer, wrap, status, yields across pcall.
local function gen(n)
  return coroutine.wrap(function()
    for i = 1, n do coroutine.yield(i * 3) end
  end)
end
local s = 0
for v in gen(1000) do s = s + v end
print("sum", s)
local co = coroutine.create(function(a, b)
  print("start", a, b)
  local c = coroutine.yield(a + b)
  print("got", c)
  local d, e = coroutine.yield(c * 2)
  return d + e
end)
print(coroutine.resume(co, 1, 2))
print(coroutine.status(co))
print(coroutine.resume(co, 10))
print(coroutine.resume(co, 3, 4))
print(coroutine.status(co), coroutine.resume(co))
local function primes()
  return coroutine.wrap(function()
    local found = {}
    local n = 2
    while true do
      local isp = true
      for _, p in ipairs(found) do
        if p * p > n then break end
        if n % p == 0 then isp = false; break end
      end
      if isp then found[#found + 1] = n; coroutine.yield(n) end
      n = n + 1
    end
  end)
end
local p, out = primes(), {}
for i = 1, 25 do out[i] = p() end
print(table.concat(out, " "))
local co2 = coroutine.create(function()
  local ok, v = pcall(function() return coroutine.yield("inside pcall") + 1 end)
  return ok, v
end)
print(coroutine.resume(co2))
print(coroutine.resume(co2, 41))
local many = {}
for i = 1, 2000 do
  many[i] = coroutine.create(function(x) coroutine.yield(x); return x * 2 end)
  coroutine.resume(many[i], i)
end
local total = 0
for i = 1, 2000 do local _, v = coroutine.resume(many[i]); total = total + v end
print("2000 coroutines", total)
print(coroutine.isyieldable(), select(2, coroutine.running()))
