/* Fuzz target: the ELF loader. The input is written to a temporary file,
 * validated with elf_check_file and, when accepted, loaded with
 * load_elf_binary into a fresh address space of a small node (a PT_INTERP
 * names the input itself, loaded again as the interpreter); the node is
 * then checked (tests/fuzz/mm_check.c), read back through the page tables
 * (the stack the loader wrote, every VMA touched), and torn down clean. */
#include "loader/loader.h"     /* first: mm.h's PROT_/MAP_ before libc's */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/fuzz/fuzz.h"
#include "tests/fuzz/mm_check.h"

#define NODE_PAGES 2048            /* 8 MiB */

static uint8_t *ram;
static char path[64];

static void die(const char *what)
{
	perror(what);
	exit(2);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");
	int fd;

	(void)argc, (void)argv;
	ram = mmap(NULL, (size_t)NODE_PAGES << PAGE_SHIFT, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (ram == MAP_FAILED)
		die("mmap");
	snprintf(path, sizeof(path), "%s/fuzz_elf.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	fd = mkstemp(path);
	if (fd < 0)
		die("mkstemp");
	close(fd);
	if (chmod(path, 0700) < 0)
		die("chmod");
	return 0;
}

static void cleanup(void) __attribute__((destructor));
static void cleanup(void)
{
	if (path[0])
		unlink(path);
}

static uint64_t fixed_random(void *ctx)
{
	uint64_t *state = ctx;

	*state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
	return *state;
}

static void check(struct pglist_data *node, struct mm_struct *mm, const char *when)
{
	if (mm_check_node(node, &mm, mm ? 1 : 0, stderr)) {
		fprintf(stderr, "fuzz_elf: invariants broken %s\n", when);
		abort();
	}
}

/* Reads a little of every VMA, as a guest would, and the whole initial
 * stack: whatever the image, the kernel's view of it must hold together. */
static void touch_image(struct mm_struct *mm, const struct exec_result *res)
{
	uint8_t buf[256];
	struct list_head *pos;

	list_for_each(pos, &mm->mmap_list) {
		struct vm_area_struct *vma = list_entry(pos, struct vm_area_struct, vm_list);

		(void)copy_from_user(mm, buf, vma->vm_start, 16);
		(void)copy_from_user(mm, buf, vma->vm_end - 16, 16);
	}
	(void)copy_from_user(mm, buf, res->stack_pointer, sizeof(buf));
	(void)copy_from_user(mm, buf, res->entry, 16);
}

/* Whatever PT_INTERP names, the interpreter is the input itself: no host
 * file outside the fuzzer's own is opened. */
static char *resolve_to_input(void *ctx, const char *name, char **maps_name, int *err)
{
	(void)ctx, (void)name;
	*maps_name = strdup("/lib/fuzz-interp");
	if (!*maps_name) {
		*err = -ENOMEM;
		return NULL;
	}
	return strdup(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct exec_cpu_info cpu = {
		.hwcap = 0x178bfbff, .platform = "x86_64", .minsigstksz = 2048,
	};
	static char *const argv[] = { "prog", "one", NULL };
	static char *const envp[] = { "HOME=/", "PATH=/bin", NULL };
	uint64_t seed = 1;
	struct exec_params params = {
		.path = path, .execfn = "/prog", .argv = argv, .envp = envp,
		.deterministic = size & 1 ? false : true, .random = fixed_random,
		.random_ctx = &seed, .cpu = &cpu, .resolve_interp = resolve_to_input,
	};
	struct exec_result res;
	struct pglist_data *node;
	struct mm_struct *mm;
	enum exec_error err;
	int fd;

	if (!ram)
		LLVMFuzzerInitialize(NULL, NULL);
	fd = open(path, O_WRONLY | O_TRUNC);
	if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size) || close(fd) < 0)
		die(path);

	err = elf_check_file(path);
	if (err != EXEC_OK) {
		/* Every refusal has its one-line reason and an errno. */
		if (!exec_strerror(err)[0] || exec_errno(err) <= 0)
			abort();
		return 0;
	}

	node = pgdat_create(ram, NODE_PAGES, NULL, NULL);
	if (!node)
		die("pgdat_create");
	mm = mm_alloc(node);
	if (!mm)
		die("mm_alloc");
	err = load_elf_binary(mm, &params, &res);
	check(node, mm, "after load_elf_binary");
	if (err == EXEC_OK) {
		touch_image(mm, &res);
		check(node, mm, "after reading the image");
	}
	mmput(mm);
	check(node, NULL, "after mmput");
	{
		const char *why = mm_check_page_cache_idle(node);

		if (why) {
			fprintf(stderr, "fuzz_elf: %s\n", why);
			abort();
		}
	}
	pgdat_destroy(node);
	if (madvise(ram, (size_t)NODE_PAGES << PAGE_SHIFT, MADV_DONTNEED) < 0)
		die("madvise");
	return 0;
}
