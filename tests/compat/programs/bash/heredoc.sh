# bash: here-documents, here-strings, quoting, redirections to files.
name=world
cat_builtin() { while IFS= read -r l; do echo "> $l"; done; }
cat_builtin <<EOT
hello $name
  indented $((6 * 7))
\$not expanded
EOT
cat_builtin <<'EOT'
literal $name $(date)
EOT
cat_builtin <<-EOT
	tabs stripped for $name
	EOT
read -r a b c <<< "x y z w"; echo "a=$a b=$b c=$c"
tmp=./heredoc.tmp
{
	echo line1
	printf 'line%d\n' 2 3
} > "$tmp"
echo appended >> "$tmp"
while read -r l; do echo "file: $l"; done < "$tmp"
exec 3< "$tmp"; read -r first <&3; exec 3<&-; echo "fd3: $first"
echo "to stderr" 2>/dev/null >&2
{ echo out; echo err >&2; } 2>&1 | while read -r l; do echo "merged: $l"; done
/bin/busybox rm -f "$tmp"; [ -e "$tmp" ] || echo removed
