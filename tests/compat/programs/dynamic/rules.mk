# A make run for the dynamic-programs tests: make forks sh, which runs
# dynamically linked programs from the guest. Phony targets only: the
# guest's clock (deterministic under make check) need not agree with the
# files' times.
.PHONY: all count sum
all: count sum
count:
	wc -l < $(SRC)/text.txt
sum:
	cut -f2 $(SRC)/table.txt | awk '{ s += $$1 } END { print s }'
