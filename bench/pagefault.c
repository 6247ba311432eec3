/* bench pagefault: a page-fault storm. Maps MIB MiB (default 1024) of
 * fresh anonymous memory and writes one byte to each 4 KiB page. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

int main(int argc, char **argv)
{
	size_t len = (size_t)(argc > 1 ? atol(argv[1]) : 1024) << 20;
	unsigned char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	for (size_t off = 0; off < len; off += 4096)
		p[off] = (unsigned char)(off >> 12);
	unsigned sum = 0;
	for (size_t off = 0; off < len; off += 1 << 20)
		sum += p[off];
	printf("%u\n", sum);
	return 0;
}
