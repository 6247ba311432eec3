-- Lua: numbers, strings, tables, closures, metatables, varargs, utf8.
print(1 // 0.0, -1 // 0.0, 7 // 2, 7 % -3, 2^53, math.maxinteger, math.mininteger)
print(string.format("%5.2f %e %g %q %x %-5d|", math.pi, 1e300 * 10, 0.1, "a\nb\0c", 48879, 42))
print(3 / 2, 3 // 2, 3.0 == 3, math.type(3), math.type(3.0), math.tointeger(5.0))
print(tostring(0/0) == tostring(0/0), 1e15, 1e16, 123456789012345678)
local t = {}
for i = 1, 100 do t[i] = i * i end
print(#t, t[50], table.concat(t, ",", 1, 10))
local function counter()
  local n = 0
  return function() n = n + 1; return n end
end
local c1, c2 = counter(), counter()
c1(); c1()
print(c1(), c2())
local V = {}
V.__index = V
V.__add = function(a, b) return setmetatable({x = a.x + b.x, y = a.y + b.y}, V) end
V.__tostring = function(v) return "(" .. v.x .. "," .. v.y .. ")" end
V.__eq = function(a, b) return a.x == b.x and a.y == b.y end
local function vec(x, y) return setmetatable({x = x, y = y}, V) end
print(tostring(vec(1, 2) + vec(3, 4)), vec(1, 1) == vec(1, 1))
local function va(...) return select("#", ...), select(2, ...) end
print(va(1, nil, 3))
print(utf8.char(72, 228, 8364, 128512), utf8.len("häll€"))
for p, cp in utf8.codes("añ€") do io.write(p, ":", cp, " ") end
print()
local words = {}
for w in ("the quick brown fox jumps over the lazy dog"):gmatch("%a+") do words[#words + 1] = w end
table.sort(words, function(a, b) return #a < #b or (#a == #b and a < b) end)
print(table.concat(words, " "))
print(("hello world"):gsub("o", "0"), ("abc"):rep(3, "-"), ("Lua"):byte(1, -1))
print(string.pack("<i4", 1):byte(1, -1))
print(select(2, pcall(error, {code = 42})).code, select(2, pcall(error, "msg", 0)))
local ok, err = pcall(function() local x = nil; return x.field end)
print(ok, (err:gsub("^.-:%d+: ", "")))
goto skip
print("not printed")
::skip::
print(next({}), rawlen({1, 2, 3}), rawequal(t, t))
