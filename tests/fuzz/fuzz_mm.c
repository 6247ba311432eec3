/* Fuzz target: the guest mm's operations. The input is a program of
 * mmap/munmap/mprotect/mremap/madvise/brk/mlock/mincore, fork (dup_mm),
 * mmput, guest accesses through the MMU walk and handle_mm_fault, and
 * copy_to/from_user on three address spaces of a small node; after every
 * step tests/fuzz/mm_check.c checks the whole node. */
#include "guestmm/mm.h"       /* first: its PROT_/MAP_ before libc's */

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "guestmm/filemap.h"
#include "guestmm/huge_memory.h"
#include "tests/fuzz/fuzz.h"
#include "tests/fuzz/mm_check.h"

#define NODE_PAGES 2048            /* 8 MiB: small enough to run out */
#define NR_SLOTS 3
#define MAX_STEPS 256
#define WINDOW 0x10000000ULL       /* where most addresses fall */
#define BRK_START 0x00600000ULL
#define NR_FILES 2

static uint8_t *ram;
static int map_fds[NR_FILES];      /* what file mappings are made from */
static int reset_fds[NR_FILES];    /* read-write, to reset the contents */
static char file_paths[NR_FILES][64];
static const uint64_t file_sizes[NR_FILES] = { 3 * 4096 + 123, 4096 };
static uint8_t scratch[64 << 10];
static int verbose;

static void die(const char *what)
{
	perror(what);
	exit(2);
}

/* The host files that file mappings map: the first through a read-write
 * descriptor, the second through a read-only one. */
static void files_init(void)
{
	const char *tmp = getenv("TMPDIR");

	for (int i = 0; i < NR_FILES; i++) {
		char self[64];
		int fd;

		snprintf(file_paths[i], sizeof(file_paths[i]), "%s/fuzz_mm.XXXXXX",
			 tmp && *tmp ? tmp : "/tmp");
		fd = mkstemp(file_paths[i]);
		if (fd < 0)
			die("mkstemp");
		reset_fds[i] = fd;
		snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
		map_fds[i] = i == 0 ? fd : open(self, O_RDONLY | O_CLOEXEC);
		if (map_fds[i] < 0)
			die("open O_RDONLY");
		unlink(file_paths[i]);
	}
}

/* Shared mappings write back into the files: each input starts afresh. */
static void files_reset(void)
{
	uint8_t buf[4 * 4096];

	for (int i = 0; i < NR_FILES; i++) {
		for (size_t j = 0; j < sizeof(buf); j++)
			buf[j] = (uint8_t)(j * 7 + i);
		if (ftruncate(reset_fds[i], 0) < 0 ||
		    pwrite(reset_fds[i], buf, file_sizes[i], 0) != (ssize_t)file_sizes[i])
			die("resetting a file");
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	verbose = getenv("FUZZ_VERBOSE") != NULL;
	ram = mmap(NULL, (size_t)NODE_PAGES << PAGE_SHIFT, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (ram == MAP_FAILED)
		die("mmap");
	files_init();
	return 0;
}

struct state {
	struct fuzz_input in;
	struct pglist_data *node;
	struct mm_struct *mm[NR_SLOTS];
	int step;
};

static void check(struct state *s, const char *after)
{
	struct mm_struct *mms[NR_SLOTS];
	int n = 0;

	for (int i = 0; i < NR_SLOTS; i++)
		if (s->mm[i])
			mms[n++] = s->mm[i];
	if (mm_check_node(s->node, mms, n, stderr)) {
		fprintf(stderr, "fuzz_mm: invariants broken after step %d (%s)\n", s->step, after);
		abort();
	}
}

static struct mm_struct *new_mm(struct pglist_data *node)
{
	struct mm_struct *mm = mm_alloc(node);

	if (mm)
		mm->start_brk = mm->brk = BRK_START;
	return mm;
}

/* The nth VMA of mm (wrapping), or NULL. */
static struct vm_area_struct *nth_vma(struct mm_struct *mm, unsigned int nth)
{
	struct list_head *pos;
	unsigned int count = 0, i = 0;

	if (!mm || !mm->map_count)
		return NULL;
	nth %= (unsigned int)mm->map_count;
	list_for_each(pos, &mm->mmap_list) {
		if (i++ == nth)
			return list_entry(pos, struct vm_area_struct, vm_list);
		count++;
	}
	return NULL;
}

static uint64_t pick_addr(struct state *s, struct mm_struct *mm)
{
	uint8_t kind = fuzz_u8(&s->in);
	struct vm_area_struct *vma;

	switch (kind % 10) {
	case 0: case 1: case 2: case 3: case 4:
		return WINDOW + (uint64_t)(fuzz_u8(&s->in) % 64) * PAGE_SIZE;
	case 5: case 6:
		vma = nth_vma(mm, fuzz_u8(&s->in));
		if (!vma)
			return WINDOW;
		return (kind & 0x10 ? vma->vm_end : vma->vm_start) +
		       (uint64_t)(int8_t)fuzz_u8(&s->in) * PAGE_SIZE;
	case 7:
		return fuzz_u64(&s->in);
	case 8: {
		static const uint64_t special[] = {
			0, PAGE_SIZE, 0x10000, BRK_START, TASK_SIZE - PAGE_SIZE, TASK_SIZE,
			1ULL << 47, (1ULL << 47) - 2 * PAGE_SIZE, UINT64_MAX & PAGE_MASK,
			0x7ff000000000ULL, 0x40000000ULL,
		};
		return special[fuzz_u8(&s->in) % (sizeof(special) / sizeof(special[0]))];
	}
	default:
		return WINDOW + (uint64_t)(fuzz_u8(&s->in) % 64) * PAGE_SIZE + fuzz_u8(&s->in);
	}
}

static uint64_t pick_len(struct state *s)
{
	uint8_t kind = fuzz_u8(&s->in);

	/* 2 to 8 MiB, 2 MiB aligned: room for THPs (one rare kind value, so
	 * that older inputs keep their meaning). */
	if (kind == 0xf4)
		return (uint64_t)(1 + fuzz_u8(&s->in) % 4) * PMD_SIZE;
	switch (kind % 8) {
	case 7:
		return fuzz_u64(&s->in);
	case 6:
		return (uint64_t)(fuzz_u8(&s->in) % 17) * PAGE_SIZE + fuzz_u16(&s->in) % PAGE_SIZE;
	case 5:
		return (uint64_t)(fuzz_u8(&s->in)) * PAGE_SIZE;   /* up to 1 MiB */
	default:
		return (uint64_t)(fuzz_u8(&s->in) % 17) * PAGE_SIZE;
	}
}

static int pick_prot(struct state *s)
{
	uint8_t b = fuzz_u8(&s->in);

	if (b == 0xff)
		return (int)fuzz_u32(&s->in);
	if (b & 0x80)
		return (b & 7) | PROT_GROWSDOWN;
	return b & 7;
}

static int pick_mmap_flags(struct state *s, bool *file)
{
	uint16_t b = fuzz_u16(&s->in);
	static const int extra[] = { MAP_FIXED, MAP_FIXED_NOREPLACE, MAP_POPULATE, MAP_LOCKED,
				     MAP_GROWSDOWN, MAP_NORESERVE, MAP_32BIT, MAP_STACK };
	int flags;

	if (b == 0xffff)
		return (int)fuzz_u32(&s->in);
	flags = (b & 3) == 0 ? MAP_SHARED_VALIDATE : (b & 3);
	*file = b & 4;
	if (!*file)
		flags |= MAP_ANONYMOUS;
	for (int i = 0; i < 8; i++)
		if (b & (8u << i))
			flags |= extra[i];
	return flags;
}

static int64_t op_mmap(struct state *s, struct mm_struct *mm)
{
	uint64_t addr = pick_addr(s, mm), len = pick_len(s);
	int prot = pick_prot(s);
	bool use_file = false;
	int flags = pick_mmap_flags(s, &use_file);
	uint8_t which = fuzz_u8(&s->in);
	uint64_t off = (uint64_t)(which >> 2) * PAGE_SIZE;
	struct file *file = NULL;
	int64_t ret;

	if (which == 0xff)
		off = fuzz_u64(&s->in);
	if (use_file || (flags & MAP_ANONYMOUS) == 0) {
		int i = which % NR_FILES;
		int fd = dup(map_fds[i]);

		if (fd < 0)
			die("dup");
		file = file_from_fd(fd, file_paths[i]);
		if (!file)
			die("file_from_fd");
	}
	if (verbose)
		fprintf(stderr, "  mmap(%#llx, %#llx, %#x, %#x, %s, %#llx)\n", (unsigned long long)addr,
			(unsigned long long)len, prot, flags, file ? file_paths[which % NR_FILES] : "-",
			(unsigned long long)off);
	ret = vm_mmap(mm, addr, len, prot, flags, (flags & MAP_ANONYMOUS) ? NULL : file, off);
	if (file)
		file_put(file);
	return ret;
}

/* A guest access as the MMU hook makes it: walk, fault, walk again, then
 * (for a store) write a byte into the frame. */
static int op_access(struct state *s, struct mm_struct *mm)
{
	uint64_t addr = pick_addr(s, mm), paddr;
	uint8_t kind = fuzz_u8(&s->in);
	unsigned int flags = FAULT_FLAG_USER, prot;
	vm_fault_t ret;

	if (kind % 3 == 1)
		flags |= FAULT_FLAG_WRITE;
	else if (kind % 3 == 2)
		flags |= FAULT_FLAG_INSTRUCTION;
	if (!mmu_translate(mm, addr & PAGE_MASK, flags, &paddr, &prot)) {
		ret = handle_mm_fault(mm, addr & PAGE_MASK, flags, NULL);
		if (ret & VM_FAULT_ERROR)
			return -1;
		if (!mmu_translate(mm, addr & PAGE_MASK, flags, &paddr, &prot))
			return -2;
	}
	if (paddr >= (uint64_t)NODE_PAGES << PAGE_SHIFT) {
		fprintf(stderr, "fuzz_mm: translation to %#llx, past the RAM\n",
			(unsigned long long)paddr);
		abort();
	}
	if (flags & FAULT_FLAG_WRITE)
		ram[paddr + (addr & (PAGE_SIZE - 1))] = kind;
	else
		(void)*(volatile uint8_t *)&ram[paddr + (addr & (PAGE_SIZE - 1))];
	return 0;
}

static const char *const op_names[] = {
	"mmap", "munmap", "mprotect", "mremap", "madvise", "brk", "fork", "mmput",
	"access", "copy_to_user", "copy_from_user", "mlock", "munlock", "mlockall",
	"munlockall", "mincore", "populate", "strncpy_from_user", "clear_user",
	"new_mm", "truncate_file",
};
#define NR_OPS (sizeof(op_names) / sizeof(op_names[0]))

static void step(struct state *s)
{
	uint8_t op = fuzz_u8(&s->in) % NR_OPS;
	unsigned int slot = fuzz_u8(&s->in) % NR_SLOTS;
	struct mm_struct *mm = s->mm[slot];
	int64_t ret = 0;

	if (!mm && op != 6 && op != 19)
		return;
	switch (op) {
	case 0:
		ret = op_mmap(s, mm);
		break;
	case 1: {
		uint64_t addr = pick_addr(s, mm);

		ret = do_munmap(mm, addr, pick_len(s));
		break;
	}
	case 2: {
		uint64_t addr = pick_addr(s, mm), len = pick_len(s);

		ret = do_mprotect(mm, addr, len, pick_prot(s));
		break;
	}
	case 3: {
		uint64_t addr = pick_addr(s, mm), old_len = pick_len(s), new_len = pick_len(s);
		uint8_t f = fuzz_u8(&s->in);
		uint64_t new_addr = pick_addr(s, mm);

		int flags = f == 0xff ? (int)fuzz_u32(&s->in) : f & 7;

		if (verbose)
			fprintf(stderr, "  mremap(%#llx, %#llx, %#llx, %#x, %#llx)\n",
				(unsigned long long)addr, (unsigned long long)old_len,
				(unsigned long long)new_len, flags, (unsigned long long)new_addr);
		ret = do_mremap(mm, addr, old_len, new_len, flags, new_addr);
		break;
	}
	case 4: {
		uint64_t addr = pick_addr(s, mm), len = pick_len(s);
		uint8_t a = fuzz_u8(&s->in);

		ret = do_madvise(mm, addr, len, a == 0xff ? (int)fuzz_u32(&s->in) : a % 28);
		/* New THP work wakes khugepaged: one pass now. */
		if (!ret && a != 0xff && a % 28 == MADV_HUGEPAGE)
			khugepaged_scan(s->node);
		break;
	}
	case 5: {
		uint8_t k = fuzz_u8(&s->in);
		uint64_t brk = k == 0xff ? fuzz_u64(&s->in)
			     : BRK_START + (uint64_t)(k % 64) * PAGE_SIZE + fuzz_u8(&s->in);

		ret = (int64_t)do_brk(mm, brk);
		break;
	}
	case 6: {                       /* fork the slot into another one */
		unsigned int from = fuzz_u8(&s->in) % NR_SLOTS;
		struct mm_struct *child;

		if (!s->mm[from])
			return;
		child = dup_mm(s->mm[from]);
		if (!child) {
			ret = -1;
			break;
		}
		if (s->mm[slot] && s->mm[slot] != s->mm[from])
			mmput(s->mm[slot]);
		else if (s->mm[slot] == s->mm[from])
			mmput(s->mm[from]);   /* exec-like: the child replaces it */
		s->mm[slot] = child;
		break;
	}
	case 7:
		mmput(mm);
		s->mm[slot] = NULL;
		break;
	case 8:
		ret = op_access(s, mm);
		break;
	case 9: {
		uint64_t addr = pick_addr(s, mm);
		size_t len = (size_t)(pick_len(s) % sizeof(scratch));

		ret = copy_to_user(mm, addr, scratch, len);
		break;
	}
	case 10: {
		uint64_t addr = pick_addr(s, mm);
		size_t len = (size_t)(pick_len(s) % sizeof(scratch));

		ret = copy_from_user(mm, scratch, addr, len);
		break;
	}
	case 11: {
		uint64_t addr = pick_addr(s, mm), len = pick_len(s);

		ret = do_mlock(mm, addr, len, fuzz_u8(&s->in) & 1);
		break;
	}
	case 12: {
		uint64_t addr = pick_addr(s, mm);

		ret = do_munlock(mm, addr, pick_len(s));
		break;
	}
	case 13:
		ret = do_mlockall(mm, fuzz_u8(&s->in) & 15);
		break;
	case 14:
		ret = do_munlockall(mm);
		break;
	case 15: {
		static uint8_t vec[(64 << 10) / 4096 * 64];
		uint64_t addr = pick_addr(s, mm), len = pick_len(s);

		if (len <= sizeof(vec) * PAGE_SIZE)
			ret = do_mincore(mm, addr, len, vec);
		break;
	}
	case 16: {
		uint64_t addr = pick_addr(s, mm);

		ret = mm_populate(mm, addr, pick_len(s) % (1 << 20));
		break;
	}
	case 17: {
		char buf[256];
		uint64_t addr = pick_addr(s, mm);

		ret = strncpy_from_user(mm, buf, addr, fuzz_u8(&s->in) % sizeof(buf) + 1);
		break;
	}
	case 18: {
		uint64_t addr = pick_addr(s, mm);

		ret = clear_user(mm, addr, (size_t)(pick_len(s) % sizeof(scratch)));
		break;
	}
	case 19:
		if (s->mm[slot])
			mmput(s->mm[slot]);
		s->mm[slot] = new_mm(s->node);
		break;
	case 20: {                      /* the file changes size under the mappings */
		unsigned int i = fuzz_u8(&s->in) % NR_FILES;

		ret = ftruncate(reset_fds[i], (off_t)(fuzz_u16(&s->in) % (4 * PAGE_SIZE)));
		break;
	}
	}
	if (verbose)
		fprintf(stderr, "step %d: %s slot %u -> %lld\n", s->step, op_names[op], slot,
			(long long)ret);
	check(s, op_names[op]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct state s = { .in = { data, size } };

	if (!ram)
		LLVMFuzzerInitialize(NULL, NULL);
	files_reset();
	s.node = pgdat_create(ram, NODE_PAGES, NULL, NULL);
	if (!s.node)
		die("pgdat_create");
	s.mm[0] = new_mm(s.node);
	if (!s.mm[0])
		die("mm_alloc");
	for (s.step = 0; s.step < MAX_STEPS && s.in.left; s.step++)
		step(&s);
	for (int i = 0; i < NR_SLOTS; i++)
		if (s.mm[i])
			mmput(s.mm[i]);
	memset(s.mm, 0, sizeof(s.mm));
	check(&s, "teardown");
	{
		const char *why = mm_check_page_cache_idle(s.node);

		if (why) {
			fprintf(stderr, "fuzz_mm: %s\n", why);
			abort();
		}
	}
	pgdat_destroy(s.node);
	/* The next node needs RAM that reads as zero. */
	if (madvise(ram, (size_t)NODE_PAGES << PAGE_SHIFT, MADV_DONTNEED) < 0)
		die("madvise");
	return 0;
}
