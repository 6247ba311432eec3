/* The CPU a program sees must agree with itself: CPUID's feature bits, the
 * flags of /proc/cpuinfo, the number of processors in
 * /proc/cpuinfo, /sys/devices/system/cpu/online, sysconf and the affinity
 * mask; and every feature CPUID offers must execute (fxsave included). Prints relationships,
 * so that it compares with a native run on any host. */
#define _GNU_SOURCE
#include <cpuid.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *slurp(const char *path)
{
	static char bufs[2][1 << 16];
	static int which;
	char *buf = bufs[which++ & 1];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(bufs[0]) - 1, f);
	buf[n] = 0;
	fclose(f);
	return buf;
}

static int has_flag(const char *cpuinfo, const char *flag)
{
	const char *line = strstr(cpuinfo, "\nflags");
	const char *end;
	char want[64];
	size_t len;

	if (!line)
		return -1;
	end = strchr(line + 1, '\n');
	snprintf(want, sizeof(want), " %s", flag);
	len = strlen(want);
	for (const char *p = line; (p = strstr(p, want)) && p < end; p++)
		if (p[len] == ' ' || p[len] == '\n')
			return 1;
	return 0;
}

int main(void)
{
	unsigned a, b, c, d;
	char *info = slurp("/proc/cpuinfo");
	int processors = 0;
	cpu_set_t set;
	struct { const char *name; int bit; int ecx; } feats[] = {
		{ "sse4_2", 20, 1 }, { "ssse3", 9, 1 }, { "popcnt", 23, 1 },
		{ "avx", 28, 1 }, { "xsave", 26, 1 }, { "sse2", 26, 0 },
	};

	if (!info) {
		printf("no /proc/cpuinfo\n");
		return 1;
	}
	for (const char *p = info; (p = strstr(p, "processor\t:")); p++)
		processors++;
	__cpuid(1, a, b, c, d);
	(void)a;
	(void)b;
	for (size_t i = 0; i < sizeof(feats) / sizeof(feats[0]); i++) {
		unsigned reg = feats[i].ecx ? c : d;

		printf("%s: cpuid and cpuinfo agree: %s\n", feats[i].name,
		       (int)((reg >> feats[i].bit) & 1) == has_flag(info, feats[i].name) ? "yes" : "no");
	}
	printf("OSXSAVE only with XSAVE: %s\n", !((c >> 27) & 1) || ((c >> 26) & 1) ? "yes" : "no");
	printf("processors in cpuinfo == sysconf(_SC_NPROCESSORS_ONLN): %s\n",
	       processors == sysconf(_SC_NPROCESSORS_ONLN) ? "yes" : "no");
	sched_getaffinity(0, sizeof(set), &set);
	printf("affinity count == processors: %s\n", CPU_COUNT(&set) == processors ? "yes" : "no");
	{
		char *online = slurp("/sys/devices/system/cpu/online");
		char want[32];

		if (processors == 1)
			snprintf(want, sizeof(want), "0\n");
		else
			snprintf(want, sizeof(want), "0-%d\n", processors - 1);
		printf("/sys/devices/system/cpu/online matches: %s\n",
		       online && !strcmp(online, want) ? "yes" : "no");
	}
	/* What CPUID offers runs. */
	if ((c >> 23) & 1) {
		unsigned long x = 0xf0f0, n;

		__asm__("popcnt %1, %0" : "=r"(n) : "r"(x));
		printf("popcnt runs: %s\n", n == 8 ? "yes" : "no");
	}
	if ((c >> 20) & 1) {
		unsigned crc = 0;

		__asm__("crc32b %1, %0" : "+r"(crc) : "r"((unsigned char)'a'));
		printf("crc32 (sse4.2) runs: %s\n", crc == 0x93ad1061u ? "yes" : "no");
	}
	/* FXSR: fxsave keeps MXCSR and the XMM registers and fxrstor brings
	 * them back (glibc's lazy binding saves the arguments so). */
	if ((d >> 24) & 1) {
		static unsigned char area[512] __attribute__((aligned(16)));
		double in = 4.0, out = 0, saved;
		unsigned mxcsr;

		__asm__ volatile("movsd %2, %%xmm0\n\t"
				 "fxsave64 %1\n\t"
				 "xorpd %%xmm0, %%xmm0\n\t"
				 "fxrstor64 %1\n\t"
				 "movsd %%xmm0, %0"
				 : "=m"(out), "+m"(area) : "m"(in) : "xmm0");
		memcpy(&saved, area + 160, sizeof(saved));
		memcpy(&mxcsr, area + 24, sizeof(mxcsr));
		printf("fxsave/fxrstor keep xmm0 and mxcsr: %s\n",
		       out == 4.0 && saved == 4.0 && (mxcsr & 0xffc0) == 0x1f80 ? "yes" : "no");
	}
	return 0;
}
