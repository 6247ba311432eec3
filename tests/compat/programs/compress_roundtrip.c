/* Compression round trips for the compatibility tests: one source, built
 * once per library (-DCODEC_ZLIB, -DCODEC_XZ or -DCODEC_ZSTD) with gcc
 * -static against its static library. It makes SIZE bytes of half-text,
 * half-random data, compresses them in small streaming steps into a file
 * in the working directory, maps that file and decompresses it in one go,
 * then compares; it prints sizes and checksums, which must match native. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(CODEC_ZLIB)
#include <zlib.h>
#define CODEC "zlib"
#elif defined(CODEC_XZ)
#include <lzma.h>
#define CODEC "xz"
#elif defined(CODEC_ZSTD)
#include <zstd.h>
#define CODEC "zstd"
#else
#error "define CODEC_ZLIB, CODEC_XZ or CODEC_ZSTD"
#endif

#define STEP 4096 /* bytes fed or drained per streaming call */

static uint64_t rng = 88172645463325252ull;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static uint32_t fnv1a(const unsigned char *p, size_t n)
{
	uint32_t h = 2166136261u;

	while (n--)
		h = (h ^ *p++) * 16777619u;
	return h;
}

static void fill(unsigned char *buf, size_t n)
{
	static const char *words[] = { "page ", "fault ", "vma ", "mmap ", "swap ",
				       "the ", "of ", "kernel ", "\n", "lru " };
	size_t i = 0;

	while (i < n) {
		if ((i / 65536) % 2 == 0) {
			const char *w = words[next() % 10];
			while (*w && i < n)
				buf[i++] = (unsigned char)*w++;
		} else {
			buf[i++] = (unsigned char)next();
		}
	}
}

static void die(const char *what)
{
	fprintf(stderr, "compress_roundtrip: " CODEC ": %s\n", what);
	exit(1);
}

static void put(FILE *f, const void *p, size_t n, size_t *total)
{
	if (n && fwrite(p, 1, n, f) != n)
		die("write failed");
	*total += n;
}

/* Streams in through STEP-sized windows into FILE f; returns bytes written. */
static size_t compress_stream(const unsigned char *in, size_t n, FILE *f)
{
	unsigned char out[STEP];
	size_t total = 0;
#if defined(CODEC_ZLIB)
	z_stream s = { 0 };
	int flush;

	if (deflateInit(&s, 6) != Z_OK)
		die("deflateInit");
	s.next_in = (unsigned char *)in;
	do {
		size_t left = n - (size_t)((const unsigned char *)s.next_in - in);
		s.avail_in = left < STEP ? (uInt)left : STEP;
		flush = left <= STEP ? Z_FINISH : Z_NO_FLUSH;
		do {
			s.next_out = out;
			s.avail_out = sizeof(out);
			if (deflate(&s, flush) == Z_STREAM_ERROR)
				die("deflate");
			put(f, out, sizeof(out) - s.avail_out, &total);
		} while (s.avail_out == 0);
	} while (flush != Z_FINISH);
	deflateEnd(&s);
#elif defined(CODEC_XZ)
	lzma_stream s = LZMA_STREAM_INIT;
	lzma_ret r;

	if (lzma_easy_encoder(&s, 6, LZMA_CHECK_CRC64) != LZMA_OK)
		die("lzma_easy_encoder");
	s.next_in = in;
	do {
		size_t left = n - (size_t)(s.next_in - in);
		lzma_action act = left <= STEP ? LZMA_FINISH : LZMA_RUN;
		s.avail_in = left < STEP ? left : STEP;
		do {
			s.next_out = out;
			s.avail_out = sizeof(out);
			r = lzma_code(&s, act);
			if (r != LZMA_OK && r != LZMA_STREAM_END)
				die("lzma_code");
			put(f, out, sizeof(out) - s.avail_out, &total);
		} while (s.avail_out == 0 || (act == LZMA_FINISH && r != LZMA_STREAM_END));
	} while (r != LZMA_STREAM_END);
	lzma_end(&s);
#else
	ZSTD_CCtx *c = ZSTD_createCCtx();
	ZSTD_inBuffer ib = { in, 0, 0 };
	size_t rem;

	ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, 9);
	do {
		size_t left = n - ib.pos;
		ZSTD_EndDirective e = left <= STEP ? ZSTD_e_end : ZSTD_e_continue;
		ib.size = ib.pos + (left < STEP ? left : STEP);
		do {
			ZSTD_outBuffer ob = { out, sizeof(out), 0 };
			rem = ZSTD_compressStream2(c, &ob, &ib, e);
			if (ZSTD_isError(rem))
				die(ZSTD_getErrorName(rem));
			put(f, out, ob.pos, &total);
		} while (e == ZSTD_e_end ? rem != 0 : ib.pos < ib.size);
	} while (ib.pos < n || rem != 0);
	ZSTD_freeCCtx(c);
#endif
	return total;
}

static void decompress_all(const unsigned char *in, size_t n, unsigned char *out, size_t cap)
{
#if defined(CODEC_ZLIB)
	uLongf len = cap;
	if (uncompress(out, &len, in, n) != Z_OK || len != cap)
		die("uncompress");
#elif defined(CODEC_XZ)
	uint64_t memlimit = UINT64_MAX;
	size_t ipos = 0, opos = 0;
	if (lzma_stream_buffer_decode(&memlimit, 0, NULL, in, &ipos, n, out, &opos, cap) != LZMA_OK ||
	    opos != cap)
		die("lzma_stream_buffer_decode");
#else
	size_t r = ZSTD_decompress(out, cap, in, n);
	if (ZSTD_isError(r) || r != cap)
		die("ZSTD_decompress");
#endif
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 0) : 1 << 20;
	unsigned char *data, *back;
	size_t clen;
	struct stat st;
	void *map;
	FILE *f;
	int fd;

	if (argc > 2)
		rng = strtoull(argv[2], NULL, 0) | 1;
	data = malloc(n);
	back = malloc(n);
	if (!data || !back)
		die("out of memory");
	fill(data, n);
	f = fopen("data." CODEC, "wb");
	if (!f)
		die("cannot create data file");
	clen = compress_stream(data, n, f);
	if (fclose(f))
		die("close failed");
	fd = open("data." CODEC, O_RDONLY);
	if (fd < 0 || fstat(fd, &st) || (size_t)st.st_size != clen)
		die("compressed file has the wrong size");
	map = mmap(NULL, clen, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED)
		die("mmap");
	memset(back, 0xa5, n);
	decompress_all(map, clen, back, n);
	printf("%s: %zu bytes (fnv %08x) -> %zu bytes (fnv %08x)\n", CODEC, n, fnv1a(data, n), clen,
	       fnv1a(map, clen));
	if (memcmp(data, back, n))
		die("round trip differs");
	munmap(map, clen);
	close(fd);
	unlink("data." CODEC);
	printf("%s: round trip ok\n", CODEC);
	free(data);
	free(back);
	return 0;
}
