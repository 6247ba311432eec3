/* The guest's file table: open file descriptions (struct vfile, shared by
 * dup and fork, reference counted) and the per-task descriptor table with
 * its close-on-exec flags. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "task.h"

/* Invariant: every non-NULL files->fd[i] holds one reference on its vfile,
 * and files->cloexec[i] is false for every free slot. */

struct files_struct *files_alloc(void)
{
	return calloc(1, sizeof(struct files_struct));
}

void files_free(struct files_struct *files)
{
	if (!files)
		return;
	for (int fd = 0; fd < NR_OPEN_DEFAULT; fd++)
		if (files->fd[fd])
			vfile_put(files->fd[fd]);
	free(files);
}

struct files_struct *files_dup(const struct files_struct *files)
{
	struct files_struct *copy = files_alloc();

	if (!copy)
		return NULL;
	for (int fd = 0; fd < NR_OPEN_DEFAULT; fd++) {
		if (!files->fd[fd])
			continue;
		copy->fd[fd] = vfile_get(files->fd[fd]);
		copy->cloexec[fd] = files->cloexec[fd];
	}
	return copy;
}

void files_close_on_exec(struct files_struct *files)
{
	for (int fd = 0; fd < NR_OPEN_DEFAULT; fd++)
		if (files->fd[fd] && files->cloexec[fd])
			fd_close(files, fd);
}

/* On failure the caller still owns host_fd. */
struct vfile *vfile_new(enum vfile_kind kind, int host_fd, int flags, const char *path)
{
	struct vfile *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	if (path) {
		f->path = strdup(path);
		if (!f->path) {
			free(f);
			return NULL;
		}
	}
	f->refcount = 1;
	f->kind = kind;
	f->host_fd = host_fd;
	f->flags = flags;
	return f;
}

struct vfile *vfile_get(struct vfile *f)
{
	f->refcount++;
	return f;
}

void vfile_put(struct vfile *f)
{
	if (!f || --f->refcount > 0)
		return;
	if (f->host_fd >= 0)
		close(f->host_fd);
	if (f->mm_file)
		file_put(f->mm_file);
	free(f->path);
	free(f->buf);
	free(f);
}

/* The number of descriptors RLIMIT_NOFILE allows (the table's size at most). */
int files_limit(const struct files_struct *files)
{
	return files->max_fds && files->max_fds < NR_OPEN_DEFAULT ? (int)files->max_fds
								     : NR_OPEN_DEFAULT;
}

int get_unused_fd(const struct files_struct *files, int minfd)
{
	int limit = files_limit(files);

	if (minfd < 0)
		minfd = 0;
	for (int fd = minfd; fd < limit; fd++)
		if (!files->fd[fd])
			return fd;
	return -EMFILE;
}

int fd_install(struct files_struct *files, int minfd, struct vfile *f, bool cloexec)
{
	int fd = get_unused_fd(files, minfd);

	if (fd < 0)
		return fd;
	files->fd[fd] = f;
	files->cloexec[fd] = cloexec;
	return fd;
}

int fd_install_at(struct files_struct *files, int fd, struct vfile *f, bool cloexec)
{
	struct vfile *old;

	if (fd < 0 || fd >= files_limit(files))
		return -EBADF;
	old = files->fd[fd];
	files->fd[fd] = f;
	files->cloexec[fd] = cloexec;
	/* Dropped after the new one is in, as Linux's do_dup2 does. */
	vfile_put(old);
	return fd;
}

struct vfile *fd_lookup(struct files_struct *files, int fd)
{
	if (fd < 0 || fd >= NR_OPEN_DEFAULT)
		return NULL;
	return files->fd[fd];
}

int fd_close(struct files_struct *files, int fd)
{
	struct vfile *f = fd_lookup(files, fd);

	if (!f)
		return -EBADF;
	files->fd[fd] = NULL;
	files->cloexec[fd] = false;
	vfile_put(f);
	return 0;
}
