/* Memory syscalls: thin wrappers from the syscall ABI onto guestmm's
 * do_mmap, do_munmap, do_brk, do_mremap, do_mprotect, do_madvise,
 * do_mincore and the mlock family. */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "syscall.h"
#include "pagecache.h"

static long sys_mmap(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	uint64_t addr = a[0], len = a[1], off = a[5];
	int prot = (int)a[2], flags = (int)a[3], fd = (int)a[4];
	struct file *file = NULL;

	if (off & (PAGE_SIZE - 1))
		return -EINVAL;
	/* do_mmap checks the open mode against prot through the host fd. */
	if (!(flags & MAP_ANONYMOUS)) {
		struct vfile *vf = fd_lookup(t->files, fd);

		if (!vf)
			return -EBADF;
		if (vf->kind != VFILE_HOST)
			return -ENODEV;
		/* The mm's own reference to the host file, shared with the page
		 * cache and read(), made on first use by this open file. */
		int err = 0;

		file = vfile_mm_file(vf, &err);
		if (!file)
			return err;
	}
	return do_mmap(t->mm, addr, len, prot, flags, file, off >> PAGE_SHIFT);
}

static long sys_munmap(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	return do_munmap(t->mm, a[0], a[1]);
}

static long sys_brk(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	return (long)do_brk(t->mm, a[0]);
}

static long sys_mremap(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	return do_mremap(t->mm, a[0], a[1], a[2], (int)a[3], a[4]);
}

static long sys_mprotect(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	return do_mprotect(t->mm, a[0], a[1], (int)a[2]);
}

static long sys_madvise(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	return do_madvise(t->mm, a[0], a[1], (int)a[2]);
}

static long sys_msync(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	return do_msync(t->mm, a[0], a[1], (int)a[2]);
}

static long sys_mincore(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	uint64_t start = a[0], len = a[1], pages;
	uint8_t *vec;
	long ret;

	if (start & (PAGE_SIZE - 1))
		return -EINVAL;
	if (len > TASK_SIZE)
		return -ENOMEM;
	pages = PAGE_ALIGN(len) >> PAGE_SHIFT;
	vec = malloc(pages ? pages : 1);
	if (!vec)
		return -EAGAIN;
	ret = do_mincore(t->mm, start, len, vec);
	if (!ret && copy_to_user(t->mm, a[2], vec, pages))
		ret = -EFAULT;
	free(vec);
	return ret;
}

static long sys_mlock(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	return do_mlock(t->mm, a[0], a[1], 0);
}

static long sys_mlock2(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	if (a[2] & ~1ULL)
		return -EINVAL;
	return do_mlock(t->mm, a[0], a[1], a[2]);
}

static long sys_munlock(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	return do_munlock(t->mm, a[0], a[1]);
}

static long sys_mlockall(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	return do_mlockall(t->mm, (int)a[0]);
}

static long sys_munlockall(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	return do_munlockall(t->mm);
}

void sys_mm_register(struct syscall_desc *table)
{
	SYSCALL(table, SYS_mmap, sys_mmap);
	SYSCALL(table, SYS_munmap, sys_munmap);
	SYSCALL(table, SYS_brk, sys_brk);
	SYSCALL(table, SYS_mremap, sys_mremap);
	SYSCALL(table, SYS_mprotect, sys_mprotect);
	SYSCALL(table, SYS_madvise, sys_madvise);
	SYSCALL(table, SYS_mincore, sys_mincore);
	SYSCALL(table, SYS_msync, sys_msync);
	SYSCALL(table, SYS_mlock, sys_mlock);
	SYSCALL(table, SYS_mlock2, sys_mlock2);
	SYSCALL(table, SYS_munlock, sys_munlock);
	SYSCALL(table, SYS_mlockall, sys_mlockall);
	SYSCALL(table, SYS_munlockall, sys_munlockall);
}
