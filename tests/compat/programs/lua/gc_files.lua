-- Lua: heavy allocation and collection, weak tables, finalizers, file I/O in the working directory.
local live = {}
for round = 1, 20 do
  local t = {}
  for i = 1, 20000 do t[i] = { i, tostring(i), { i } } end
  live[round % 3] = t
  if round % 5 == 0 then collectgarbage() end
end
print("rounds done", #live[1], live[2][777][2])
local weak = setmetatable({}, { __mode = "k" })
do for i = 1, 100 do weak[{}] = i end end
collectgarbage(); collectgarbage()
local n = 0
for _ in pairs(weak) do n = n + 1 end
print("weak keys left", n)
local finalized = 0
for i = 1, 50 do setmetatable({}, { __gc = function() finalized = finalized + 1 end }) end
collectgarbage(); collectgarbage()
print("finalized", finalized)
local parts = {}
for i = 1, 50000 do parts[i] = string.format("%05d", i) end
local big = table.concat(parts)
print("big string", #big, big:sub(-10))
local f = assert(io.open("lua-test.txt", "w"))
for i = 1, 1000 do f:write(i, " ", string.rep("x", i % 50), "\n") end
f:close()
f = assert(io.open("lua-test.txt", "r"))
local lines, bytes = 0, 0
for l in f:lines() do lines = lines + 1; bytes = bytes + #l + 1 end
print("lines", lines, "bytes", bytes, "size", f:seek("end"))
f:seek("set", 10)
print("at 10:", f:read(8))
f:close()
assert(os.rename("lua-test.txt", "lua-test2.txt"))
print("open old:", io.open("lua-test.txt") == nil)
f = assert(io.open("lua-test2.txt", "a+")); f:write("tail\n"); f:seek("set"); print("first:", f:read("l")); f:close()
print("remove:", os.remove("lua-test2.txt"), os.remove("lua-test2.txt") == nil)
print("getenv HOME set:", os.getenv("HOME") ~= nil, "clock >= 0:", os.clock() >= 0)
print("tmpname:", type(os.tmpname()))
