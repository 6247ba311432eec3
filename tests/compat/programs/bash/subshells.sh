# bash: subshells, command substitution, background jobs and wait, exit codes.
x=1; (x=2; echo "in subshell x=$x"); echo "outside x=$x"
y=$(echo inner; exit 3); echo "y=$y status=$?"
( exit 7 ); echo "subshell exit $?"
out=$( (echo a; (echo b; (echo c))) ); echo $out
for i in 1 2 3 4; do ( /bin/busybox sleep 0.0$i; echo "job $i" > job.$i ) & done
wait; for i in 1 2 3 4; do read -r l < job.$i; echo "$l"; done; /bin/busybox rm -f job.?
/bin/busybox sleep 0.01 & pid=$!; wait $pid; echo "wait status $?"
( exit 5 ) & wait $!; echo "bg status $?"
nested=$(echo $(echo $(echo deep))); echo "$nested"
echo "$BASH_SUBSHELL $( echo $BASH_SUBSHELL $(echo $BASH_SUBSHELL) )"
r=0; for i in $(seq_like() { for ((j = 0; j < 200; j++)); do echo $j; done; }; seq_like); do r=$((r + i)); done; echo "r=$r"
(set -e; false; echo not reached); echo "set -e subshell status $?"
