/* bench swap: MIB MiB (default 192: three times vmemu's --mem=64M) of
 * compressible anonymous data, written page by page and then read back
 * twice in order and checked; under a 64 MiB guest most of it lives in
 * the compressed swap. Natively it is just the same data volume. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

int main(int argc, char **argv)
{
	size_t len = (size_t)(argc > 1 ? atol(argv[1]) : 192) << 20;
	uint32_t *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	size_t words = len / 4;
	/* Each page: a small repeating pattern keyed by the page number. */
	for (size_t i = 0; i < words; i++)
		p[i] = (uint32_t)((i >> 10) * 2654435761u) ^ (uint32_t)(i & 15);
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < words; i += 16)
			if (p[i] != ((uint32_t)((i >> 10) * 2654435761u) ^ (uint32_t)(i & 15))) {
				fprintf(stderr, "bad data at word %zu\n", i);
				return 1;
			}
	return 0;
}
