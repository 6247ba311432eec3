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
#include "strbuf.h"
#include "guestmm/task_mmu.h"
#include "guestmm/filemap.h"
#include "guestmm/swap.h"
#include "guestmm/huge_memory.h"

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


/* ---- /proc/meminfo and /proc/vmstat ---- */

static void meminfo_line(struct strbuf *sb, const char *name, uint64_t kb)
{
	char label[32];

	snprintf(label, sizeof(label), "%s:", name);
	sb_printf(sb, "%-16s%8lu kB\n", label, (unsigned long)kb);
}

#define K(pages) ((uint64_t)(pages) * (PAGE_SIZE / 1024))

static void gen_meminfo(machine_t *m, struct strbuf *sb)
{
	struct pglist_data *n = m->node;
	const long *st = n->stat.stat;
	uint64_t total = totalram_pages(n), free_pages = nr_free_pages(n);
	uint64_t file = st[NR_FILE_PAGES], slab_r = st[NR_SLAB_RECLAIMABLE];
	uint64_t low = 0, available;
	struct swap_stats swap;

	for (int z = 0; z < n->nr_zones; z++)
		low += n->node_zones[z].watermark[WMARK_LOW];
	/* Linux's si_mem_available: free above the reserve, plus the page
	 * cache and reclaimable slab that could be dropped. */
	available = free_pages > low ? free_pages - low : 0;
	available += file - (file / 2 < low ? file / 2 : low);
	available += slab_r - (slab_r / 2 < low ? slab_r / 2 : low);
	swap_get_stats(n, &swap);
	meminfo_line(sb, "MemTotal", K(total));
	meminfo_line(sb, "MemFree", K(free_pages));
	meminfo_line(sb, "MemAvailable", K(available));
	meminfo_line(sb, "Buffers", 0);
	meminfo_line(sb, "Cached", K(file - st[NR_SWAPCACHE]));
	meminfo_line(sb, "SwapCached", K(st[NR_SWAPCACHE]));
	meminfo_line(sb, "Active", K(st[NR_ACTIVE_ANON] + st[NR_ACTIVE_FILE]));
	meminfo_line(sb, "Inactive", K(st[NR_INACTIVE_ANON] + st[NR_INACTIVE_FILE]));
	meminfo_line(sb, "Active(anon)", K(st[NR_ACTIVE_ANON]));
	meminfo_line(sb, "Inactive(anon)", K(st[NR_INACTIVE_ANON]));
	meminfo_line(sb, "Active(file)", K(st[NR_ACTIVE_FILE]));
	meminfo_line(sb, "Inactive(file)", K(st[NR_INACTIVE_FILE]));
	meminfo_line(sb, "Unevictable", K(st[NR_UNEVICTABLE]));
	meminfo_line(sb, "Mlocked", K(st[NR_MLOCK]));
	meminfo_line(sb, "SwapTotal", K(swap.total_pages));
	meminfo_line(sb, "SwapFree", K(swap.free_pages));
	meminfo_line(sb, "Zswap", 0);
	meminfo_line(sb, "Zswapped", 0);
	meminfo_line(sb, "Dirty", K(st[NR_FILE_DIRTY]));
	meminfo_line(sb, "Writeback", K(st[NR_WRITEBACK]));
	meminfo_line(sb, "AnonPages", K(st[NR_ANON_MAPPED]));
	meminfo_line(sb, "Mapped", K(st[NR_FILE_MAPPED]));
	meminfo_line(sb, "Shmem", K(st[NR_SHMEM]));
	meminfo_line(sb, "KReclaimable", K(slab_r));
	meminfo_line(sb, "Slab", K(slab_r + st[NR_SLAB_UNRECLAIMABLE]));
	meminfo_line(sb, "SReclaimable", K(slab_r));
	meminfo_line(sb, "SUnreclaim", K(st[NR_SLAB_UNRECLAIMABLE]));
	meminfo_line(sb, "KernelStack", st[NR_KERNEL_STACK_KB]);
	meminfo_line(sb, "PageTables", K(st[NR_PAGETABLE]));
	meminfo_line(sb, "SecPageTables", 0);
	meminfo_line(sb, "NFS_Unstable", 0);
	meminfo_line(sb, "Bounce", 0);
	meminfo_line(sb, "WritebackTmp", 0);
	meminfo_line(sb, "CommitLimit", K(total / 2));
	meminfo_line(sb, "Committed_AS", K(total - free_pages));
	meminfo_line(sb, "VmallocTotal", 34359738367ULL);
	meminfo_line(sb, "VmallocUsed", 0);
	meminfo_line(sb, "VmallocChunk", 0);
	meminfo_line(sb, "Percpu", 0);
	meminfo_line(sb, "HardwareCorrupted", 0);
	meminfo_line(sb, "AnonHugePages", K(st[NR_ANON_THPS] * 512));
	meminfo_line(sb, "ShmemHugePages", 0);
	meminfo_line(sb, "ShmemPmdMapped", 0);
	meminfo_line(sb, "FileHugePages", 0);
	meminfo_line(sb, "FilePmdMapped", 0);
	sb_printf(sb, "HugePages_Total:       0\nHugePages_Free:        0\n"
		      "HugePages_Rsvd:        0\nHugePages_Surp:        0\n");
	meminfo_line(sb, "Hugepagesize", 2048);
	meminfo_line(sb, "Hugetlb", 0);
	meminfo_line(sb, "DirectMap4k", K(n->node_present_pages));
}

static void gen_vmstat(machine_t *m, struct strbuf *sb)
{
	const struct vm_counters *c = &m->node->stat;

	for (int i = 0; i < NR_VM_STAT_ITEMS; i++)
		sb_printf(sb, "%s %ld\n", vmstat_stat_names[i], c->stat[i]);
	for (int i = 0; i < NR_VM_EVENT_ITEMS; i++)
		if (i != COW_FAULT)
			sb_printf(sb, "%s %lu\n", vmstat_event_names[i], c->events[i]);
}

/* The guest's memory cgroup (cgroup v2 files of /sys/fs/cgroup): usage
 * is the LRU pages, memory.max the --memcg-limit. */
static int gen_memcg(machine_t *m, const char *file, struct strbuf *sb)
{
	struct pglist_data *n = m->node;
	struct swap_stats swap;

	swap_get_stats(n, &swap);
	if (!strcmp(file, "current"))
		sb_printf(sb, "%lu\n", (unsigned long)(memcg_usage(n) * PAGE_SIZE));
	else if (!strcmp(file, "max") && n->memcg_limit)
		sb_printf(sb, "%lu\n", (unsigned long)(n->memcg_limit * PAGE_SIZE));
	else if (!strcmp(file, "max"))
		sb_printf(sb, "max\n");
	else if (!strcmp(file, "swap.current"))
		sb_printf(sb, "%lu\n", (unsigned long)((swap.total_pages - swap.free_pages) * PAGE_SIZE));
	else if (!strcmp(file, "events"))
		sb_printf(sb, "low 0\nhigh 0\nmax %lu\noom %lu\noom_kill %lu\noom_group_kill 0\n",
			  n->memcg_failcnt, n->memcg_oom_kills, n->memcg_oom_kills);
	else
		return -1;
	return 0;
}

/* ---- /proc/PID/maps, smaps, smaps_rollup ---- */

static bool vma_is_heap(const struct vm_area_struct *vma)
{
	const struct mm_struct *mm = vma->vm_mm;

	return vma->vm_start <= mm->brk && vma->vm_end >= mm->start_brk && !vma->vm_file;
}

static const char *vma_name(const struct vm_area_struct *vma)
{
	if (vma->vm_file)
		return vma->vm_file->path ? vma->vm_file->path : "";
	if (vma->vm_name)
		return vma->vm_name;
	if (vma_is_heap(vma))
		return "[heap]";
	if (vma->vm_start <= vma->vm_mm->start_stack && vma->vm_end >= vma->vm_mm->start_stack)
		return "[stack]";
	return NULL;
}

/* Linux's show_map_vma: the name starts at column 74 when there is one. */
static void show_map_vma(struct strbuf *sb, const struct vm_area_struct *vma)
{
	const struct file *f = vma->vm_file;
	unsigned long flags = vma->vm_flags;
	const char *name = vma_name(vma);
	size_t start = sb->len;
	uint64_t ino = 0, pgoff = 0;
	unsigned int major = 0, minor = 0;

	if (f) {
		ino = f->ino;
		major = (unsigned)((f->dev >> 8) & 0xfff);
		minor = (unsigned)((f->dev & 0xff) | ((f->dev >> 12) & 0xfff00));
		pgoff = vma->vm_pgoff << PAGE_SHIFT;
	}
	sb_printf(sb, "%08lx-%08lx %c%c%c%c %08lx %02x:%02x %lu ",
		  (unsigned long)vma->vm_start, (unsigned long)vma->vm_end,
		  flags & VM_READ ? 'r' : '-', flags & VM_WRITE ? 'w' : '-',
		  flags & VM_EXEC ? 'x' : '-', flags & VM_MAYSHARE ? 's' : 'p',
		  (unsigned long)pgoff, major, minor, (unsigned long)ino);
	if (name) {
		size_t col = sb->len - start;

		sb_printf(sb, "%*s%s", col < 73 ? (int)(73 - col) : 0, "", name);
	}
	sb_printf(sb, "\n");
}

static void smaps_lines(struct strbuf *sb, const struct mem_size_stats *mss, bool rollup)
{
#define KB(x) ((unsigned long)((x) >> 10))
	sb_printf(sb, "Rss:            %8lu kB\n", KB(mss->resident));
	sb_printf(sb, "Pss:            %8lu kB\n", KB(mss->pss >> PSS_SHIFT));
	sb_printf(sb, "Pss_Dirty:      %8lu kB\n", KB(mss->pss_dirty >> PSS_SHIFT));
	if (rollup) {
		sb_printf(sb, "Pss_Anon:       %8lu kB\n", KB(mss->pss_anon >> PSS_SHIFT));
		sb_printf(sb, "Pss_File:       %8lu kB\n", KB(mss->pss_file >> PSS_SHIFT));
		sb_printf(sb, "Pss_Shmem:      %8lu kB\n", KB(mss->pss_shmem >> PSS_SHIFT));
	}
	sb_printf(sb, "Shared_Clean:   %8lu kB\n", KB(mss->shared_clean));
	sb_printf(sb, "Shared_Dirty:   %8lu kB\n", KB(mss->shared_dirty));
	sb_printf(sb, "Private_Clean:  %8lu kB\n", KB(mss->private_clean));
	sb_printf(sb, "Private_Dirty:  %8lu kB\n", KB(mss->private_dirty));
	sb_printf(sb, "Referenced:     %8lu kB\n", KB(mss->referenced));
	sb_printf(sb, "Anonymous:      %8lu kB\n", KB(mss->anonymous));
	sb_printf(sb, "LazyFree:       %8lu kB\n", KB(mss->lazyfree));
	sb_printf(sb, "AnonHugePages:  %8lu kB\n", KB(mss->anonymous_thp));
	sb_printf(sb, "ShmemPmdMapped: %8lu kB\n", KB(mss->shmem_thp));
	sb_printf(sb, "FilePmdMapped:  %8lu kB\n", 0UL);
	sb_printf(sb, "Shared_Hugetlb: %8lu kB\n", 0UL);
	sb_printf(sb, "Private_Hugetlb:%8lu kB\n", 0UL);
	sb_printf(sb, "Swap:           %8lu kB\n", KB(mss->swap));
	sb_printf(sb, "SwapPss:        %8lu kB\n", KB(mss->swap_pss >> PSS_SHIFT));
	sb_printf(sb, "Locked:         %8lu kB\n", KB(mss->pss_locked >> PSS_SHIFT));
#undef KB
}

static void show_vmflags(struct strbuf *sb, unsigned long flags)
{
	static const struct { unsigned long flag; const char *name; } names[] = {
		{ VM_READ, "rd" }, { VM_WRITE, "wr" }, { VM_EXEC, "ex" }, { VM_SHARED, "sh" },
		{ VM_MAYREAD, "mr" }, { VM_MAYWRITE, "mw" }, { VM_MAYEXEC, "me" },
		{ VM_MAYSHARE, "ms" }, { VM_GROWSDOWN, "gd" }, { VM_PFNMAP, "pf" },
		{ VM_LOCKED, "lo" }, { VM_SEQ_READ, "sr" }, { VM_RAND_READ, "rr" },
		{ VM_DONTCOPY, "dc" }, { VM_DONTEXPAND, "de" }, { VM_LOCKONFAULT, "lf" },
		{ VM_ACCOUNT, "ac" }, { VM_NORESERVE, "nr" }, { VM_HUGEPAGE, "hg" },
		{ VM_NOHUGEPAGE, "nh" },
	};

	sb_printf(sb, "VmFlags:");
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (flags & names[i].flag)
			sb_printf(sb, " %s", names[i].name);
	sb_printf(sb, " \n");
}

static void gen_maps(struct mm_struct *mm, struct strbuf *sb, bool smaps)
{
	struct list_head *pos;

	list_for_each(pos, &mm->mmap_list) {
		struct vm_area_struct *vma = list_entry(pos, struct vm_area_struct, vm_list);

		show_map_vma(sb, vma);
		if (smaps) {
			struct mem_size_stats mss;

			memset(&mss, 0, sizeof(mss));
			smap_gather_stats(vma, &mss);
			sb_printf(sb, "Size:           %8lu kB\n",
				  (unsigned long)((vma->vm_end - vma->vm_start) >> 10));
			sb_printf(sb, "KernelPageSize: %8lu kB\nMMUPageSize:    %8lu kB\n", 4UL, 4UL);
			smaps_lines(sb, &mss, false);
			sb_printf(sb, "THPeligible:    %8d\n", hugepage_vma_check(vma));
			show_vmflags(sb, vma->vm_flags);
		}
	}
}

static void gen_smaps_rollup(struct mm_struct *mm, struct strbuf *sb)
{
	struct mem_size_stats mss;
	uint64_t first = 0, last = 0;

	if (!list_empty(&mm->mmap_list)) {
		first = list_first_entry(&mm->mmap_list, struct vm_area_struct, vm_list)->vm_start;
		last = list_last_entry(&mm->mmap_list, struct vm_area_struct, vm_list)->vm_end;
	}
	smaps_rollup(mm, &mss);
	{
		size_t start = sb->len, col;

		sb_printf(sb, "%08lx-%08lx ---p 00000000 00:00 0 ", (unsigned long)first,
			  (unsigned long)last);
		col = sb->len - start;
		sb_printf(sb, "%*s[rollup]\n", col < 73 ? (int)(73 - col) : 0, "");
	}
	smaps_lines(sb, &mss, true);
}

/* ---- /proc/PID/status, statm, cmdline, comm ---- */

static void gen_status(machine_t *m, struct task_struct *t, struct strbuf *sb)
{
	struct mm_struct *mm = t->mm;
	int threads = 0;
	uint64_t ign = 0, cgt = 0;

	for (struct task_struct *o = m->tasks; o; o = o->next)
		if (o->tgid == t->tgid && o->state != TASK_DEAD)
			threads++;
	for (int i = 0; i < KNSIG; i++) {
		if (t->sighand->action[i].handler == K_SIG_IGN)
			ign |= 1ULL << i;
		else if (t->sighand->action[i].handler != K_SIG_DFL)
			cgt |= 1ULL << i;
	}
	sb_printf(sb, "Name:\t%s\nUmask:\t%04o\n", t->comm, t->umask);
	sb_printf(sb, "State:\t%s\n", t->state == TASK_RUNNING ? "R (running)"
		  : t->state == TASK_INTERRUPTIBLE ? "S (sleeping)"
		  : t->state == TASK_STOPPED ? "T (stopped)" : "Z (zombie)");
	sb_printf(sb, "Tgid:\t%d\nNgid:\t0\nPid:\t%d\nPPid:\t%d\nTracerPid:\t0\n",
		  t->tgid, t->pid, t->ppid);
	sb_printf(sb, "Uid:\t%u\t%u\t%u\t%u\nGid:\t%u\t%u\t%u\t%u\n", getuid(), geteuid(),
		  geteuid(), geteuid(), getgid(), getegid(), getegid(), getegid());
	sb_printf(sb, "FDSize:\t%d\nGroups:\t\n", 64);
	sb_printf(sb, "NStgid:\t%d\nNSpid:\t%d\nNSpgid:\t%d\nNSsid:\t%d\n", t->tgid, t->pid,
		  t->pgid, t->sid);
	if (mm) {
		uint64_t rss_anon = mm->rss_stat[MM_ANONPAGES], rss_file = mm->rss_stat[MM_FILEPAGES];
		uint64_t rss_shmem = mm->rss_stat[MM_SHMEMPAGES];
		uint64_t rss = rss_anon + rss_file + rss_shmem;
		uint64_t hwm = (uint64_t)mm->hiwater_rss > rss ? (uint64_t)mm->hiwater_rss : rss;
		uint64_t text = (PAGE_ALIGN(mm->end_code) - (mm->start_code & PAGE_MASK)) >> 10;

		sb_printf(sb, "VmPeak:\t%8lu kB\n", (unsigned long)K(mm->total_vm));
		sb_printf(sb, "VmSize:\t%8lu kB\n", (unsigned long)K(mm->total_vm));
		sb_printf(sb, "VmLck:\t%8lu kB\n", (unsigned long)K(mm->locked_vm));
		sb_printf(sb, "VmPin:\t%8lu kB\n", 0UL);
		sb_printf(sb, "VmHWM:\t%8lu kB\n", (unsigned long)K(hwm));
		sb_printf(sb, "VmRSS:\t%8lu kB\n", (unsigned long)K(rss));
		sb_printf(sb, "RssAnon:\t%8lu kB\n", (unsigned long)K(rss_anon));
		sb_printf(sb, "RssFile:\t%8lu kB\n", (unsigned long)K(rss_file));
		sb_printf(sb, "RssShmem:\t%8lu kB\n", (unsigned long)K(rss_shmem));
		sb_printf(sb, "VmData:\t%8lu kB\n", (unsigned long)K(mm->data_vm));
		sb_printf(sb, "VmStk:\t%8lu kB\n", (unsigned long)K(mm->stack_vm));
		sb_printf(sb, "VmExe:\t%8lu kB\n", (unsigned long)text);
		sb_printf(sb, "VmLib:\t%8lu kB\n", (unsigned long)(K(mm->exec_vm) > text ? K(mm->exec_vm) - text : 0));
		sb_printf(sb, "VmPTE:\t%8lu kB\n", (unsigned long)(mm->pgtables_bytes >> 10));
		sb_printf(sb, "VmSwap:\t%8lu kB\n", (unsigned long)K(mm->rss_stat[MM_SWAPENTS]));
		sb_printf(sb, "HugetlbPages:\t%8lu kB\n", 0UL);
	}
	sb_printf(sb, "CoreDumping:\t0\nTHP_enabled:\t1\nThreads:\t%d\n", threads);
	sb_printf(sb, "SigQ:\t0/%d\n", 63204);
	sb_printf(sb, "SigPnd:\t%016lx\nShdPnd:\t%016lx\nSigBlk:\t%016lx\nSigIgn:\t%016lx\nSigCgt:\t%016lx\n",
		  (unsigned long)t->pending.signal, 0UL, (unsigned long)t->blocked,
		  (unsigned long)ign, (unsigned long)cgt);
	sb_printf(sb, "CapInh:\t0000000000000000\nCapPrm:\t0000000000000000\n"
		      "CapEff:\t0000000000000000\nCapBnd:\t000001ffffffffff\n"
		      "CapAmb:\t0000000000000000\nNoNewPrivs:\t0\nSeccomp:\t0\n"
		      "Seccomp_filters:\t0\nSpeculation_Store_Bypass:\tthread vulnerable\n"
		      "SpeculationIndirectBranch:\tconditional enabled\n"
		      "Cpus_allowed:\t1\nCpus_allowed_list:\t0\nMems_allowed:\t1\n"
		      "Mems_allowed_list:\t0\nvoluntary_ctxt_switches:\t0\n"
		      "nonvoluntary_ctxt_switches:\t0\n");
}

static void gen_statm(struct task_struct *t, struct strbuf *sb)
{
	struct mm_struct *mm = t->mm;
	uint64_t file, shmem, anon, text;

	if (!mm) {
		sb_printf(sb, "0 0 0 0 0 0 0\n");
		return;
	}
	file = mm->rss_stat[MM_FILEPAGES];
	shmem = mm->rss_stat[MM_SHMEMPAGES];
	anon = mm->rss_stat[MM_ANONPAGES];
	text = (PAGE_ALIGN(mm->end_code) - (mm->start_code & PAGE_MASK)) >> PAGE_SHIFT;
	sb_printf(sb, "%lu %lu %lu %lu 0 %lu 0\n", (unsigned long)mm->total_vm,
		  (unsigned long)(file + shmem + anon), (unsigned long)(file + shmem),
		  (unsigned long)text, (unsigned long)(mm->data_vm + mm->stack_vm));
}

/* A range of the task's own memory (argv or environ), as Linux reads it. */
static void gen_user_range(struct task_struct *t, uint64_t start, uint64_t end, struct strbuf *sb)
{
	char chunk[512];

	if (!t->mm || end <= start)
		return;
	while (start < end) {
		size_t n = end - start < sizeof(chunk) ? end - start : sizeof(chunk);

		if (copy_from_user(t->mm, chunk, start, n))
			return;
		for (size_t i = 0; i < n; i++)
			sb_printf(sb, "%c", chunk[i]);
		start += n;
	}
}

/* "/proc/self/X" or "/proc/<pid>/X" (a guest pid): the task and X. */
static struct task_struct *proc_task(machine_t *m, struct task_struct *t, const char *path,
				     const char **sub)
{
	const char *rest;
	char *end;
	long pid;

	if (strncmp(path, "/proc/", 6))
		return NULL;
	rest = path + 6;
	if (!strncmp(rest, "self/", 5)) {
		*sub = rest + 5;
		return t;
	}
	if (!strncmp(rest, "thread-self/", 12)) {
		*sub = rest + 12;
		return t;
	}
	pid = strtol(rest, &end, 10);
	if (end == rest || *end != '/' || pid <= 0)
		return NULL;
	*sub = end + 1;
	t = find_task(m, (int)pid);
	/* /proc/PID/task/TID/...: the thread's own files. */
	if (t && !strncmp(*sub, "task/", 5)) {
		struct task_struct *th;

		rest = *sub + 5;
		pid = strtol(rest, &end, 10);
		if (end == rest || *end != '/' || pid <= 0)
			return NULL;
		th = find_task(m, (int)pid);
		if (!th || th->tgid != t->tgid)
			return NULL;
		*sub = end + 1;
		return th;
	}
	return t;
}

int procfs_generate(machine_t *m, struct task_struct *t, const char *path, char **buf,
		    size_t *len)
{
	struct strbuf sb = { 0 };

	struct task_struct *pt;
	const char *sub;

	if (!strcmp(path, "/proc/cpuinfo")) {
		gen_cpuinfo(m, &sb);
	} else if (!strcmp(path, "/sys/devices/system/cpu/online") ||
		   !strcmp(path, "/sys/devices/system/cpu/possible") ||
		   !strcmp(path, "/sys/devices/system/cpu/present")) {
		sb_printf(&sb, "0\n");
	} else if (!strcmp(path, "/proc/meminfo")) {
		gen_meminfo(m, &sb);
	} else if (!strcmp(path, "/proc/vmstat")) {
		gen_vmstat(m, &sb);
	} else if (procfs_thp_generate(m, path, &sb) == 0) {
		;
	} else if (procfs_sys_generate(m, path, &sb) == 0) {
		;
	} else if (!strncmp(path, "/sys/fs/cgroup/memory.", 22)) {
		if (gen_memcg(m, path + 22, &sb))
			return -ENOENT;
	} else if ((pt = proc_task(m, t, path, &sub)) != NULL && pt->state != TASK_DEAD) {
		if (!strcmp(sub, "maps"))
			pt->mm ? gen_maps(pt->mm, &sb, false) : (void)0;
		else if (!strcmp(sub, "smaps"))
			pt->mm ? gen_maps(pt->mm, &sb, true) : (void)0;
		else if (!strcmp(sub, "smaps_rollup") && pt->mm)
			gen_smaps_rollup(pt->mm, &sb);
		else if (!strcmp(sub, "status"))
			gen_status(m, pt, &sb);
		else if (!strcmp(sub, "statm"))
			gen_statm(pt, &sb);
		else if (!strcmp(sub, "stat"))
			procfs_task_stat(m, pt, &sb);
		else if (!strcmp(sub, "auxv"))
			pt->mm ? sb_append(&sb, pt->mm->saved_auxv,
					   (size_t)pt->mm->saved_auxv_words * sizeof(uint64_t)) : (void)0;
		else if (!strcmp(sub, "pagemap"))
			;       /* read through procfs_pagemap_read, not as text */
		else if (!strcmp(sub, "oom_score_adj"))
			sb_printf(&sb, "%d\n", pt->oom_score_adj);
		else if (!strcmp(sub, "oom_score"))
			sb_printf(&sb, "%lu\n", pt->mm ? oom_score(pt->mm, pt->oom_score_adj,
								 oom_totalpages(m->node)) : 0);
		else if (!strcmp(sub, "comm"))
			sb_printf(&sb, "%s\n", pt->comm);
		else if (!strcmp(sub, "cmdline"))
			pt->mm ? gen_user_range(pt, pt->mm->arg_start, pt->mm->arg_end, &sb) : (void)0;
		else if (!strcmp(sub, "environ"))
			pt->mm ? gen_user_range(pt, pt->mm->env_start, pt->mm->env_end, &sb) : (void)0;
		else
			return -ENOENT;
	} else {
		return -ENOENT;
	}
	if (sb.err) {
		free(sb.buf);
		return sb.err;
	}
	*buf = sb.buf;
	*len = sb.len;
	return 0;
}

bool procfs_is_pagemap(const char *guest_abs)
{
	const char *slash = strrchr(guest_abs, '/');

	return !strncmp(guest_abs, "/proc/", 6) && slash && !strcmp(slash, "/pagemap");
}

long procfs_pagemap_read(machine_t *m, struct task_struct *t, const char *guest_abs,
			 uint64_t pos, uint64_t *buf, size_t nentries)
{
	const char *sub;
	struct task_struct *pt = proc_task(m, t, guest_abs, &sub);
	uint64_t vpage = pos / 8;
	size_t n = 0;

	if (!pt || pt->state == TASK_DEAD || pt->state == TASK_ZOMBIE || !pt->mm)
		return -ESRCH;
	/* Linux shows frame numbers to CAP_SYS_ADMIN only. */
	for (; n < nentries && vpage < (TASK_SIZE >> PAGE_SHIFT); n++, vpage++)
		buf[n] = pagemap_entry(pt->mm, vpage << PAGE_SHIFT, geteuid() == 0);
	return (long)n;
}

char *procfs_smaps(struct mm_struct *mm)
{
	struct strbuf sb = { 0 };

	gen_maps(mm, &sb, true);
	if (sb.err) {
		free(sb.buf);
		return NULL;
	}
	return sb.buf ? sb.buf : strdup("");
}

static bool procfs_is_writable(const char *p)
{
	const char *slash = strrchr(p, '/');

	return (!strncmp(p, "/proc/", 6) && slash && !strcmp(slash, "/oom_score_adj")) ||
	       procfs_sys_is_writable(p) || procfs_thp_is_writable(p);
}

int procfs_write(machine_t *m, struct task_struct *t, const char *path, const char *buf,
		 size_t len)
{
	struct task_struct *pt;
	const char *sub;
	char *end;
	long v;

	(void)len;
	if (!procfs_is_writable(path))
		return -EINVAL;
	if (procfs_sys_is_writable(path))
		return procfs_sys_write(m, t, path, buf);
	if (procfs_thp_is_writable(path))
		return procfs_thp_write(m, path, buf);
	pt = proc_task(m, t, path, &sub);
	if (!pt || pt->state == TASK_DEAD || pt->state == TASK_ZOMBIE)
		return -ESRCH;
	/* Linux's oom_score_adj_write: an integer, spaces around it. */
	while (*buf == ' ' || *buf == '\t')
		buf++;
	v = strtol(buf, &end, 10);
	if (end == buf)
		return -EINVAL;
	while (*end == ' ' || *end == '\t' || *end == '\n')
		end++;
	if (*end || v < OOM_SCORE_ADJ_MIN || v > OOM_SCORE_ADJ_MAX)
		return -EINVAL;
	/* Per process (signal_struct in Linux): every thread of the group. */
	for (struct task_struct *o = m->tasks; o; o = o->next)
		if (o->tgid == pt->tgid)
			o->oom_score_adj = (short)v;
	return 0;
}

int procfs_memfd(const char *name, const char *buf, size_t len, int flags)
{
	int acc = flags & O_ACCMODE, fd, rfd;
	char link[40];
	size_t done = 0;

	/* oom_score_adj takes writes (procfs_write, through the write
	 * system calls); the descriptor stays a read-only memfd. */
	if (!procfs_is_writable(name) && (acc != O_RDONLY || (flags & (O_CREAT | O_TRUNC))))
		return -EACCES;
	fd = memfd_create(name, MFD_CLOEXEC);
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
	fchmod(fd, 0444);
	/* The guest's descriptor is read-only; procfs_refresh writes through
	 * a descriptor of its own. */
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	rfd = open(link, O_RDONLY | O_CLOEXEC);
	close(fd);
	return rfd < 0 ? -errno : rfd;
}

bool procfs_is_generated(const char *p)
{
	static const char *const fixed[] = {
		"/proc/cpuinfo", "/proc/meminfo", "/proc/vmstat", "/proc/stat", "/proc/uptime",
		"/proc/loadavg", "/proc/swaps", "/proc/zoneinfo", "/proc/sys/vm/drop_caches", "/proc/sys/vm/swappiness",
		"/sys/devices/system/cpu/online", "/sys/devices/system/cpu/possible",
		"/sys/devices/system/cpu/present",
		"/sys/fs/cgroup/memory.current", "/sys/fs/cgroup/memory.max",
		"/sys/fs/cgroup/memory.events", "/sys/fs/cgroup/memory.swap.current",
	};
	static const char *const per_task[] = {
		"maps", "smaps", "smaps_rollup", "status", "statm", "stat", "comm", "cmdline", "environ",
		"pagemap", "auxv",
		"oom_score", "oom_score_adj",
	};
	const char *sub;

	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		if (!strcmp(p, fixed[i]))
			return true;
	if (procfs_thp_is_generated(p))
		return true;
	if (strncmp(p, "/proc/", 6))
		return false;
	sub = strchr(p + 6, '/');
	if (!sub)
		return false;
	for (size_t i = 0; i < sizeof(per_task) / sizeof(per_task[0]); i++)
		if (!strcmp(sub + 1, per_task[i]))
			return true;
	return false;
}

void procfs_refresh(machine_t *m, struct task_struct *t, const char *guest_abs, int host_fd)
{
	char link[40], *buf;
	size_t len, done = 0;
	int wfd;

	if (procfs_generate(m, t, guest_abs, &buf, &len))
		return;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", host_fd);
	wfd = open(link, O_WRONLY | O_TRUNC | O_CLOEXEC);
	while (wfd >= 0 && done < len) {
		ssize_t n = write(wfd, buf + done, len - done);

		if (n <= 0)
			break;
		done += (size_t)n;
	}
	if (wfd >= 0)
		close(wfd);
	free(buf);
}
