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

#endif
