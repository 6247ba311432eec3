# bash: indexed and associative arrays, slices, expansions, string ops.
a=(zero one two three four five)
echo "${#a[@]} ${a[3]} ${a[@]:2:3} ${a[-1]}"
a+=(six seven)
unset 'a[1]'
echo "${!a[@]}"
for i in "${!a[@]}"; do printf '%s=%s ' "$i" "${a[i]}"; done; echo
declare -A colour=([apple]=red [banana]=yellow [grape]=purple)
colour[lime]=green
for k in $(printf '%s\n' "${!colour[@]}" | /bin/busybox sort); do echo "$k -> ${colour[$k]}"; done
echo "count ${#colour[@]}"
s="The quick brown fox jumps over the lazy dog"
echo "${s^^}"; echo "${s,,}"; echo "${s//o/0}"; echo "${s#* }"; echo "${s%% *}"; echo "${#s}"
echo "${s:4:5}" "${s: -3}"
words=($s); echo "${#words[@]} words, 3rd ${words[2]}"
IFS=, read -r -a parts <<< "a,b,,d,e"
echo "${#parts[@]}: ${parts[*]}"
m=(); for ((i = 0; i < 2000; i++)); do m[i]=$((i * i)); done
echo "m[1999]=${m[1999]} len=${#m[@]}"
sorted=($(for x in 42 7 19 3 88 1; do echo $x; done | /bin/busybox sort -n)); echo "${sorted[*]}"
mapfile -t lines <<'X'
first line
second line
third
X
echo "${#lines[@]} [${lines[1]}]"
