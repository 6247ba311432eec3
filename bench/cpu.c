/* bench cpu: CPU-bound integer code. A greedy LZ77-style compressor (hash
 * of 4 bytes, match search, literal/match counting) run over 1 MiB of
 * pseudo-text ROUNDS times; about 0.5 s natively. Prints a checksum. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N (1u << 20)
#define HBITS 14

static unsigned char buf[N];
static uint32_t head[1u << HBITS];

static uint64_t compress_once(uint32_t salt)
{
	uint64_t out = 0;
	uint32_t i = 0;

	memset(head, 0, sizeof head);
	while (i + 4 <= N) {
		uint32_t v;
		memcpy(&v, buf + i, 4);
		uint32_t h = ((v ^ salt) * 2654435761u) >> (32 - HBITS);
		uint32_t cand = head[h];
		head[h] = i + 1;
		uint32_t len = 0;
		if (cand) {
			cand--;
			while (i + len < N && len < 258 && buf[cand + len] == buf[i + len])
				len++;
		}
		if (len >= 4) {
			out = out * 31 + (i - cand) * 7 + len;
			i += len;
		} else {
			out = out * 31 + buf[i];
			i++;
		}
	}
	return out;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 70;
	static const char *words[] = { "the ", "guest ", "kernel ", "page ", "fault ",
		"memory ", "swap ", "of ", "a ", "and ", "fork ", "exec ", "\n" };
	uint32_t x = 12345;
	uint32_t i = 0;

	while (i < N) {
		x = x * 1103515245u + 12345u;
		const char *w = words[(x >> 16) % 13];
		for (; *w && i < N; w++)
			buf[i++] = (unsigned char)*w;
	}
	uint64_t sum = 0;
	for (int r = 0; r < rounds; r++)
		sum += compress_once((uint32_t)r);
	printf("%llx\n", (unsigned long long)sum);
	return 0;
}
