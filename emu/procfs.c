/* Generated files: /proc/cpuinfo and the /sys CPU lists, consistent with the
 * guest's one CPU and its CPUID model (not the host's). Each is served as a
 * sealed read-only memfd, so every fd operation works on it unchanged. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "procfs.h"

struct strbuf {
	char *buf;
	size_t len, cap;
	int err;
};

static void sb_printf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_printf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (sb->err)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(sb->buf + sb->len, sb->cap - sb->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			sb->err = -EINVAL;
			return;
		}
		if (sb->len + (size_t)n < sb->cap)
			break;
		size_t cap = (sb->cap ? sb->cap * 2 : 4096) + (size_t)n;
		char *nb = realloc(sb->buf, cap);

		if (!nb) {
			sb->err = -ENOMEM;
			return;
		}
		sb->buf = nb;
		sb->cap = cap;
	}
	sb->len += (size_t)n;
}

/* Linux's names for CPUID feature bits (arch/x86/include/asm/cpufeatures.h),
 * in /proc/cpuinfo's order: leaf 1 EDX, leaf 1 ECX, 0x80000001 EDX/ECX,
 * leaf 7 EBX/ECX/EDX. Empty names are bits Linux does not print. */
static const char *const leaf1_edx[32] = {
	"fpu", "vme", "de", "pse", "tsc", "msr", "pae", "mce", "cx8", "apic", "", "sep",
	"mtrr", "pge", "mca", "cmov", "pat", "pse36", "pn", "clflush", "", "dts", "acpi",
	"mmx", "fxsr", "sse", "sse2", "ss", "ht", "tm", "ia64", "pbe",
};
static const char *const leaf1_ecx[32] = {
	"pni", "pclmulqdq", "dtes64", "monitor", "ds_cpl", "vmx", "smx", "est", "tm2",
	"ssse3", "cid", "sdbg", "fma", "cx16", "xtpr", "pdcm", "", "pcid", "dca", "sse4_1",
	"sse4_2", "x2apic", "movbe", "popcnt", "tsc_deadline_timer", "aes", "xsave", "",
	"avx", "f16c", "rdrand", "hypervisor",
};
static const char *const ext1_edx[32] = {
	"", "", "", "", "", "", "", "", "", "", "", "syscall", "", "", "", "", "", "", "",
	"mp", "nx", "", "mmxext", "", "", "fxsr_opt", "pdpe1gb", "rdtscp", "", "lm",
	"3dnowext", "3dnow",
};
static const char *const ext1_ecx[32] = {
	"lahf_lm", "cmp_legacy", "svm", "extapic", "cr8_legacy", "abm", "sse4a", "misalignsse",
	"3dnowprefetch", "osvw", "ibs", "xop", "skinit", "wdt", "", "lwp", "fma4", "tce", "",
	"nodeid_msr", "", "tbm", "topoext", "perfctr_core", "perfctr_nb", "", "bpext", "ptsc",
	"perfctr_llc", "mwaitx", "", "",
};
static const char *const leaf7_ebx[32] = {
	"fsgsbase", "tsc_adjust", "sgx", "bmi1", "hle", "avx2", "", "smep", "bmi2", "erms",
	"invpcid", "rtm", "cqm", "", "mpx", "rdt_a", "avx512f", "avx512dq", "rdseed", "adx",
	"smap", "avx512ifma", "", "clflushopt", "clwb", "intel_pt", "avx512pf", "avx512er",
	"avx512cd", "sha_ni", "avx512bw", "avx512vl",
};

static void flags_from(struct strbuf *sb, const char *const names[32], uint32_t bits)
{
	for (int i = 0; i < 32; i++)
		if ((bits >> i) & 1 && names[i][0])
			sb_printf(sb, " %s", names[i]);
}

static uint32_t leaf_reg(const machine_t *m, uint32_t leaf, int reg)
{
	const struct cpuid_leaf *l = cpuid_lookup(m, leaf, 0);

	if (!l)
		return 0;
	return reg == 0 ? l->eax : reg == 1 ? l->ebx : reg == 2 ? l->ecx : l->edx;
}

static void gen_cpuinfo(machine_t *m, struct strbuf *sb)
{
	char vendor[13], brand[49];
	uint32_t eax1 = leaf_reg(m, 1, 0), ebx1 = leaf_reg(m, 1, 1);
	uint32_t family = (eax1 >> 8) & 0xf, model = (eax1 >> 4) & 0xf;
	const char *b;

	memcpy(vendor, &(uint32_t){ leaf_reg(m, 0, 1) }, 4);
	memcpy(vendor + 4, &(uint32_t){ leaf_reg(m, 0, 3) }, 4);
	memcpy(vendor + 8, &(uint32_t){ leaf_reg(m, 0, 2) }, 4);
	vendor[12] = 0;
	for (int i = 0; i < 3; i++)
		for (int r = 0; r < 4; r++)
			memcpy(brand + 16 * i + 4 * r,
			       &(uint32_t){ leaf_reg(m, 0x80000002 + i, r) }, 4);
	brand[48] = 0;
	for (b = brand; *b == ' '; b++)
		;
	if (family == 0xf)
		family += (eax1 >> 20) & 0xff;
	if (family == 0x6 || family >= 0xf)
		model += ((eax1 >> 16) & 0xf) << 4;
	sb_printf(sb, "processor\t: 0\n");
	sb_printf(sb, "vendor_id\t: %s\n", vendor);
	sb_printf(sb, "cpu family\t: %u\n", family);
	sb_printf(sb, "model\t\t: %u\n", model);
	sb_printf(sb, "model name\t: %s\n", *b ? b : "unknown");
	sb_printf(sb, "stepping\t: %u\n", eax1 & 0xf);
	sb_printf(sb, "cpu MHz\t\t: 2000.000\n");
	sb_printf(sb, "cache size\t: 4096 KB\n");
	sb_printf(sb, "physical id\t: 0\nsiblings\t: 1\ncore id\t\t: 0\ncpu cores\t: 1\n");
	sb_printf(sb, "apicid\t\t: 0\ninitial apicid\t: 0\n");
	sb_printf(sb, "fpu\t\t: yes\nfpu_exception\t: yes\n");
	sb_printf(sb, "cpuid level\t: %u\n", leaf_reg(m, 0, 0));
	sb_printf(sb, "wp\t\t: yes\n");
	sb_printf(sb, "flags\t\t:");
	flags_from(sb, leaf1_edx, leaf_reg(m, 1, 3));
	flags_from(sb, ext1_edx, leaf_reg(m, 0x80000001, 3));
	flags_from(sb, leaf1_ecx, leaf_reg(m, 1, 2));
	flags_from(sb, ext1_ecx, leaf_reg(m, 0x80000001, 2));
	flags_from(sb, leaf7_ebx, leaf_reg(m, 7, 1));
	sb_printf(sb, "\n");
	sb_printf(sb, "bugs\t\t:\n");
	sb_printf(sb, "bogomips\t: 4000.00\n");
	sb_printf(sb, "clflush size\t: %u\n", ((ebx1 >> 8) & 0xff) * 8);
	sb_printf(sb, "cache_alignment\t: 64\n");
	sb_printf(sb, "address sizes\t: %u bits physical, %u bits virtual\n",
		  leaf_reg(m, 0x80000008, 0) & 0xff, (leaf_reg(m, 0x80000008, 0) >> 8) & 0xff);
	sb_printf(sb, "power management:\n\n");
}

int procfs_generate(machine_t *m, struct task_struct *t, const char *path, char **buf,
		    size_t *len)
{
	struct strbuf sb = { 0 };

	(void)t;
	if (!strcmp(path, "/proc/cpuinfo"))
		gen_cpuinfo(m, &sb);
	else if (!strcmp(path, "/sys/devices/system/cpu/online") ||
		 !strcmp(path, "/sys/devices/system/cpu/possible") ||
		 !strcmp(path, "/sys/devices/system/cpu/present"))
		sb_printf(&sb, "0\n");
	else
		return -ENOENT;
	if (sb.err) {
		free(sb.buf);
		return sb.err;
	}
	*buf = sb.buf;
	*len = sb.len;
	return 0;
}

int procfs_memfd(const char *name, const char *buf, size_t len, int flags)
{
	int acc = flags & O_ACCMODE, fd;
	size_t done = 0;

	if (acc != O_RDONLY || (flags & (O_CREAT | O_TRUNC)))
		return -EACCES;
	fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -errno;
	while (done < len) {
		ssize_t n = write(fd, buf + done, len - done);

		if (n <= 0) {
			close(fd);
			return -EIO;
		}
		done += (size_t)n;
	}
	lseek(fd, 0, SEEK_SET);
	fchmod(fd, 0444);
	fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL);
	return fd;
}
