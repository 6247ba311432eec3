/* anon_vs_file: holds ANON_MIB of anonymous memory it wrote, then reads
 * FILE (bigger than the guest's RAM) through twice, and prints how much of
 * its anonymous memory stayed resident and how much went to swap (from
 * /proc/self/status), with the reclaim counters. Under vmemu with
 * --swappiness=0 reclaim takes the file's pages only; a high swappiness
 * lets it swap anonymous memory too.
 * usage: anon_vs_file ANON_MIB FILE */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static long field(const char *file, const char *name)
{
	char line[256];
	size_t n = strlen(name);
	long v = -1;
	FILE *f = fopen(file, "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, name, n) && (line[n] == ':' || line[n] == ' ')) {
			v = strtol(line + n + 1, NULL, 10);
			break;
		}
	if (f)
		fclose(f);
	return v;
}

int main(int argc, char **argv)
{
	static char buf[1 << 20];
	size_t len = (argc > 2 ? strtoul(argv[1], NULL, 10) : 16) << 20;
	unsigned char *anon = mmap(NULL, len, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned long bad = 0;

	if (anon == MAP_FAILED || argc < 3)
		return 2;
	for (size_t i = 0; i < len; i += 4096)
		anon[i] = (unsigned char)(i >> 12);
	for (int pass = 0; pass < 2; pass++) {
		int fd = open(argv[2], O_RDONLY);

		if (fd < 0)
			return 2;
		while (read(fd, buf, sizeof(buf)) > 0)
			;
		close(fd);
	}
	printf("RssAnon %ld kB, VmSwap %ld kB, pswpout %ld, pgsteal %ld\n",
	       field("/proc/self/status", "RssAnon"), field("/proc/self/status", "VmSwap"),
	       field("/proc/vmstat", "pswpout"),
	       field("/proc/vmstat", "pgsteal_kswapd") + field("/proc/vmstat", "pgsteal_direct"));
	for (size_t i = 0; i < len; i += 4096)
		bad += anon[i] != (unsigned char)(i >> 12);
	printf("anonymous data intact: %s\n", bad ? "no" : "yes");
	return bad != 0;
}
