# bash: pipelines between builtins and /bin/busybox applets, PIPESTATUS, pipefail.
for i in $(eval echo {1..300}); do echo "line $i"; done | /bin/busybox grep 7 | /bin/busybox wc -l
printf '%s\n' pear apple fig apple kiwi fig apple | /bin/busybox sort | /bin/busybox uniq -c | /bin/busybox sort -rn | while read -r n w; do echo "$w:$n"; done
true | false | true; echo "PIPESTATUS ${PIPESTATUS[*]}"
set -o pipefail; true | (exit 3) | true; echo "pipefail status $?"; set +o pipefail
echo "abc def ghi" | { read -r a b c; echo "$c $b $a"; }
seq_out=$(i=0; while ((i < 5000)); do echo $i; ((i++)); done | /bin/busybox tail -n 1); echo "tail: $seq_out"
/bin/busybox yes hello | /bin/busybox head -n 3
echo "x" | /bin/busybox cat - | /bin/busybox cat | /bin/busybox cat | /bin/busybox tr x y
big=$(head_like() { local i; for ((i = 0; i < 20000; i++)); do echo "$i abcdefghijklmnopqrstuvwxyz"; done; }; head_like | /bin/busybox md5sum); echo "md5 $big"
