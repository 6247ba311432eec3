/* bench randmem: random read-modify-write accesses over a 64 MiB working
 * set (ACCESSES of them, default 2*10^7), one 8-byte word each. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	long accesses = argc > 1 ? atol(argv[1]) : 20000000L;
	size_t words = (64u << 20) / sizeof(uint64_t);
	uint64_t *a = malloc(words * sizeof *a);
	if (!a)
		return 1;
	for (size_t i = 0; i < words; i++)
		a[i] = i;
	uint64_t x = 88172645463325252ull, sum = 0;
	for (long n = 0; n < accesses; n++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		size_t k = x & (words - 1);
		sum += a[k];
		a[k] = sum;
	}
	printf("%llx\n", (unsigned long long)sum);
	return 0;
}
