# bash: for/while/until loops, arithmetic, break/continue, C-style for, case.
sum=0
for ((i = 1; i <= 1000; i++)); do
	((sum += i * i % 7))
done
echo "sum=$sum"
n=0
while :; do
	n=$((n + 1))
	[ $n -lt 5 ] && continue
	[ $n -ge 50 ] && break
	case $((n % 15)) in
	0) printf 'FizzBuzz ' ;;
	3|6|9|12) printf 'Fizz ' ;;
	5|10) printf 'Buzz ' ;;
	*) printf '%d ' $n ;;
	esac
done
echo
k=10
until [ $k -eq 0 ]; do k=$((k - 1)); printf '%s' "$k"; done
echo
for w in alpha "beta gamma" delta; do echo "[$w]"; done
for f in {a..e}{1..3}; do printf '%s,' "$f"; done; echo
x=$(( (1 << 40) + 0x10 * 3 - 077 ))
echo "x=$x"
printf '%05.1f|%-6s|%x|%o|%e\n' 3.14159 ab 255 8 12345.678
