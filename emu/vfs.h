/* Guest paths onto host files below the machine's root: every look-up
 * resolves inside the root (openat2 RESOLVE_IN_ROOT), so `..` and absolute
 * symlinks cannot leave it. */
#ifndef EMU_VFS_H
#define EMU_VFS_H

#include <sys/stat.h>
#include "machine.h"
#include "task.h"

/* The guest absolute path for `path` seen from directory fd `dirfd`
 * (AT_FDCWD: the task's cwd). Malloc'd; NULL with *err set on failure. */
char *vfs_guest_path(machine_t *m, struct task_struct *t, int dirfd, const char *path, int *err);
/* Open a guest path: a host fd or -errno. `how_flags` are open(2) flags;
 * resolve_no_follow: do not follow a final symlink (O_NOFOLLOW semantics). */
int vfs_open(machine_t *m, const char *guest_abs, int flags, int mode);
/* A host path for a guest path that the host can open itself (the loader);
 * NULL when it does not resolve. Malloc'd. `cwd` is the guest cwd. */
char *vfs_host_path(machine_t *m, const char *cwd, const char *path);


/* ---- added by the file-syscall layer (sys_fs.c) ---- */

/* A symlink the guest kernel generates itself (/proc/self/exe,
 * /proc/self/fd/N, /proc/self/cwd...), reported by vfs_lookup. */
struct vfs_link {
	char *target;            /* what readlink(2) shows (malloc'd) */
	unsigned int mode;       /* permission bits an lstat shows */
	unsigned int size;       /* st_size an lstat shows */
};

/* Opens a guest absolute path on the host with open(2) flags (O_CLOEXEC is
 * always added) and returns the host fd or -errno, answering for the paths
 * the guest kernel owns (/proc/self, /proc/<pid>, /dev/fd, /dev/std*)
 * instead of the host. O_NOFOLLOW stops at a final symlink: when that is a
 * generated one, the result is -ELOOP and *link (if non-NULL) is filled. */
int vfs_lookup(machine_t *m, struct task_struct *t, const char *guest_abs,
	       int flags, int mode, struct vfs_link *link);
/* For operations on a name in a directory (mkdir, unlink, rename, link...):
 * a host O_PATH fd of the parent directory of guest_abs, or -errno; *base
 * points into guest_abs at the last component, trailing slashes kept ("/"
 * gives "."), so the host *at call applies Linux's rules for them. */
int vfs_lookup_parent(machine_t *m, struct task_struct *t, const char *guest_abs,
		      const char **base);
/* The guest path of an open host fd, as Linux's d_path shows it ("/a/b",
 * "pipe:[123]", "/a/b (deleted)"). Malloc'd; NULL when unknown. */
char *vfs_fd_guest_path(machine_t *m, int host_fd);
/* The canonical guest absolute path of a guest path (symlinks resolved, as
 * /proc/PID/exe shows it); NULL when it does not resolve. Malloc'd. */
char *vfs_realpath(machine_t *m, const char *cwd, const char *path);
/* For execve: the host path of the file a guest path names as the task
 * sees it (its cwd, /proc/self/exe, /proc/self/fd/N...), and in *guest (if
 * non-NULL) its canonical guest path, which /proc/PID/exe shows. Both
 * malloc'd; NULL with *err = -errno (ENOENT, ENOTDIR, ELOOP, EACCES...). */
char *vfs_exec_path(machine_t *m, struct task_struct *t, const char *path, char **guest,
		    int *err);

#endif
