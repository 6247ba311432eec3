# bash: traps on EXIT, ERR, signals sent to itself and to children, RETURN.
trap 'echo "EXIT trap, status $?"' EXIT
trap 'echo "got USR1"' USR1
trap 'echo "got USR2"' USR2
kill -USR1 $$; kill -USR2 $$
echo "after signals"
f() { trap 'echo "RETURN from f"' RETURN; echo "in f"; }
f; trap - RETURN
( trap 'echo "child TERM"; exit 9' TERM; kill -TERM $BASHPID; echo unreachable ); echo "child status $?"
trap 'echo "ERR trap at $LINENO"' ERR
false
trap - ERR
trap '' INT; kill -INT $$; echo "INT ignored"
trap - INT
count=0; trap 'count=$((count + 1))' USR1
for i in 1 2 3 4 5; do kill -USR1 $$; done; echo "count=$count"
exit 3
