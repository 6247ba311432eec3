/* Extended attributes: getxattr, listxattr, setxattr, removexattr and their
 * l* and f* forms, passed to the host file below the root (ls -l asks each
 * file for its ACL and security label). Files the guest kernel generates
 * (/proc's) and its generated symlinks have none, as on Linux's procfs. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "syscall.h"
#include "vfs.h"

/* Linux's limits (include/uapi/linux/limits.h). */
#define XATTR_NAME_MAX  255
#define XATTR_SIZE_MAX  65536
#define XATTR_LIST_MAX  65536

/* What an xattr call names: a host fd to reach the file through, or none
 * (the file is the guest kernel's own and has no attributes). */
struct xattr_target {
	int host_fd;           /* O_PATH or borrowed; -1: a generated file */
	bool owned;
};

static void xattr_release(struct xattr_target *x)
{
	if (x->owned && x->host_fd >= 0)
		close(x->host_fd);
}

/* A path argument: follows a final symlink unless nofollow (the l* calls). */
static long xattr_path(machine_t *m, struct task_struct *t, uint64_t upath, bool nofollow,
		       struct xattr_target *x)
{
	char buf[PATH_MAX];
	struct vfs_link link = { 0 };
	long n = strncpy_from_user(t->mm, buf, upath, sizeof(buf));
	char *abs;
	int err = 0, fd;

	x->host_fd = -1;
	x->owned = false;
	if (n < 0)
		return n;
	if (n == 0)
		return -ENOENT;
	if (n >= (long)sizeof(buf))
		return -ENAMETOOLONG;
	abs = vfs_guest_path(m, t, AT_FDCWD, buf, &err);
	if (!abs)
		return err;
	fd = vfs_lookup(m, t, abs, O_PATH | (nofollow ? O_NOFOLLOW : 0), 0, &link);
	free(abs);
	if (fd == -ELOOP && link.target) {
		free(link.target);
		return 0;            /* a generated symlink */
	}
	free(link.target);
	if (fd < 0)
		return fd;
	x->host_fd = fd;
	x->owned = true;
	return 0;
}

/* An fd argument: a host file's descriptor, or none for a generated one. */
static long xattr_fd(struct task_struct *t, uint64_t fd, struct xattr_target *x)
{
	struct vfile *f = fd_lookup(t->files, (int)fd);

	x->host_fd = -1;
	x->owned = false;
	if (!f)
		return -EBADF;
	if (f->kind == VFILE_HOST)
		x->host_fd = f->host_fd;
	return 0;
}

/* The host path through which a path-based call reaches an O_PATH fd (the
 * f* calls refuse O_PATH descriptors). A symlink opened O_PATH|O_NOFOLLOW
 * would be followed again there: its attributes (Linux allows only
 * trusted.* and security.* on symlinks) are not reached, as if it had none. */
static bool xattr_host_path(const struct xattr_target *x, char *buf, size_t len)
{
	struct stat st;

	if (fstat(x->host_fd, &st) < 0 || S_ISLNK(st.st_mode))
		return false;
	snprintf(buf, len, "/proc/self/fd/%d", x->host_fd);
	return true;
}

static long get_name(struct task_struct *t, uint64_t uname, char *name)
{
	long n = strncpy_from_user(t->mm, name, uname, XATTR_NAME_MAX + 1);

	if (n < 0)
		return n;
	if (n == 0 || n > XATTR_NAME_MAX)
		return -ERANGE;
	return 0;
}

static long do_getxattr(struct task_struct *t, struct xattr_target *x, bool by_fd,
			uint64_t uname, uint64_t uvalue, uint64_t size)
{
	char name[XATTR_NAME_MAX + 1], path[40];
	char *value = NULL;
	long r = get_name(t, uname, name);

	if (r < 0)
		return r;
	if (x->host_fd < 0)
		return -ENODATA;
	if (size > XATTR_SIZE_MAX)
		size = XATTR_SIZE_MAX;
	if (size && !(value = malloc(size)))
		return -ENOMEM;
	if (by_fd)
		r = fgetxattr(x->host_fd, name, value, size);
	else if (xattr_host_path(x, path, sizeof(path)))
		r = getxattr(path, name, value, size);
	else
		r = (errno = ENODATA, -1);
	r = r < 0 ? -errno : r;
	if (r > 0 && size && copy_to_user(t->mm, uvalue, value, (size_t)r) < 0)
		r = -EFAULT;
	free(value);
	return r;
}

static long do_listxattr(struct task_struct *t, struct xattr_target *x, bool by_fd,
			 uint64_t ulist, uint64_t size)
{
	char path[40], *list = NULL;
	long r;

	if (x->host_fd < 0)
		return 0;
	if (size > XATTR_LIST_MAX)
		size = XATTR_LIST_MAX;
	if (size && !(list = malloc(size)))
		return -ENOMEM;
	if (by_fd)
		r = flistxattr(x->host_fd, list, size);
	else if (xattr_host_path(x, path, sizeof(path)))
		r = listxattr(path, list, size);
	else
		r = 0;
	r = r < 0 ? -errno : r;
	if (r > 0 && size && copy_to_user(t->mm, ulist, list, (size_t)r) < 0)
		r = -EFAULT;
	free(list);
	return r;
}

static long do_setxattr(struct task_struct *t, struct xattr_target *x, bool by_fd,
			uint64_t uname, uint64_t uvalue, uint64_t size, int flags)
{
	char name[XATTR_NAME_MAX + 1], path[40];
	char *value = NULL;
	long r;

	if (flags & ~(XATTR_CREATE | XATTR_REPLACE))
		return -EINVAL;
	r = get_name(t, uname, name);
	if (r < 0)
		return r;
	if (size > XATTR_SIZE_MAX)
		return -E2BIG;
	if (size && !(value = malloc(size)))
		return -ENOMEM;
	if (size && copy_from_user(t->mm, value, uvalue, size) < 0) {
		free(value);
		return -EFAULT;
	}
	if (x->host_fd < 0)
		r = (errno = EPERM, -1);
	else if (by_fd)
		r = fsetxattr(x->host_fd, name, value, size, flags);
	else if (xattr_host_path(x, path, sizeof(path)))
		r = setxattr(path, name, value, size, flags);
	else
		r = (errno = EPERM, -1);
	free(value);
	return r < 0 ? -errno : 0;
}

static long do_removexattr(struct task_struct *t, struct xattr_target *x, bool by_fd,
			   uint64_t uname)
{
	char name[XATTR_NAME_MAX + 1], path[40];
	long r = get_name(t, uname, name);

	if (r < 0)
		return r;
	if (x->host_fd < 0)
		r = (errno = EPERM, -1);
	else if (by_fd)
		r = fremovexattr(x->host_fd, name);
	else if (xattr_host_path(x, path, sizeof(path)))
		r = removexattr(path, name);
	else
		r = (errno = ENODATA, -1);
	return r < 0 ? -errno : 0;
}

#define PATH_CALL(fn_, nofollow_, call_)                                              \
	static long fn_(machine_t *m, struct task_struct *t, const uint64_t *a)       \
	{                                                                             \
		struct xattr_target x;                                                \
		long r = xattr_path(m, t, a[0], nofollow_, &x);                       \
                                                                                      \
		if (r < 0)                                                            \
			return r;                                                     \
		r = call_;                                                            \
		xattr_release(&x);                                                    \
		return r;                                                             \
	}
#define FD_CALL(fn_, call_)                                                           \
	static long fn_(machine_t *m, struct task_struct *t, const uint64_t *a)       \
	{                                                                             \
		struct xattr_target x;                                                \
		long r = xattr_fd(t, a[0], &x);                                       \
                                                                                      \
		(void)m;                                                              \
		return r < 0 ? r : call_;                                             \
	}

PATH_CALL(sys_getxattr, false, do_getxattr(t, &x, false, a[1], a[2], a[3]))
PATH_CALL(sys_lgetxattr, true, do_getxattr(t, &x, false, a[1], a[2], a[3]))
FD_CALL(sys_fgetxattr, do_getxattr(t, &x, true, a[1], a[2], a[3]))
PATH_CALL(sys_listxattr, false, do_listxattr(t, &x, false, a[1], a[2]))
PATH_CALL(sys_llistxattr, true, do_listxattr(t, &x, false, a[1], a[2]))
FD_CALL(sys_flistxattr, do_listxattr(t, &x, true, a[1], a[2]))
PATH_CALL(sys_setxattr, false, do_setxattr(t, &x, false, a[1], a[2], a[3], (int)a[4]))
PATH_CALL(sys_lsetxattr, true, do_setxattr(t, &x, false, a[1], a[2], a[3], (int)a[4]))
FD_CALL(sys_fsetxattr, do_setxattr(t, &x, true, a[1], a[2], a[3], (int)a[4]))
PATH_CALL(sys_removexattr, false, do_removexattr(t, &x, false, a[1]))
PATH_CALL(sys_lremovexattr, true, do_removexattr(t, &x, false, a[1]))
FD_CALL(sys_fremovexattr, do_removexattr(t, &x, true, a[1]))

void sys_xattr_register(struct syscall_desc *table)
{
	SYSCALL(table, __NR_setxattr, sys_setxattr);
	SYSCALL(table, __NR_lsetxattr, sys_lsetxattr);
	SYSCALL(table, __NR_fsetxattr, sys_fsetxattr);
	SYSCALL(table, __NR_getxattr, sys_getxattr);
	SYSCALL(table, __NR_lgetxattr, sys_lgetxattr);
	SYSCALL(table, __NR_fgetxattr, sys_fgetxattr);
	SYSCALL(table, __NR_listxattr, sys_listxattr);
	SYSCALL(table, __NR_llistxattr, sys_llistxattr);
	SYSCALL(table, __NR_flistxattr, sys_flistxattr);
	SYSCALL(table, __NR_removexattr, sys_removexattr);
	SYSCALL(table, __NR_lremovexattr, sys_lremovexattr);
	SYSCALL(table, __NR_fremovexattr, sys_fremovexattr);
}
