# bash: functions, recursion, locals, return codes, dynamic scope, indirection.
fact() { if (( $1 <= 1 )); then echo 1; else echo $(( $1 * $(fact $(( $1 - 1 ))) )); fi; }
echo "fact 20 = $(fact 20)"
fib() { local n=$1 a=0 b=1 t; while (( n-- > 0 )); do t=$b; b=$((a + b)); a=$t; done; echo $a; }
echo "fib 90 = $(fib 90)"
outer() { local v=outer; inner; echo "after inner: $v"; }
inner() { echo "inner sees: $v"; v=changed; }
v=global; outer; echo "global: $v"
check() { [ "$1" -gt 10 ]; }
for i in 5 15; do if check $i; then echo "$i big"; else echo "$i small (status $?)"; fi; done
ret() { return $1; }
ret 42; echo "ret=$?"
name=target; target="indirect value"; echo "${!name}"
declare -f fib | /bin/busybox head -n 1
countdown() { (( $1 < 0 )) && return; printf '%d ' $1; countdown $(( $1 - 1 )); }
countdown 30; echo
set -- one two three four
shifter() { echo "$# args: $*"; shift 2; echo "now $#: $@"; }
shifter "$@"
echo "FUNCNAME depth: $(f1() { f2; }; f2() { echo "${FUNCNAME[@]}"; }; f1)"
