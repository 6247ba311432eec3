/* epoll over the host's: a guest epoll instance is a host epoll fd, and the
 * guest's descriptors are registered as the host fds behind them, with the
 * guest's epoll_data passed through untouched. Waits that must not block
 * the machine sleep in the guest kernel on the host epoll fd. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "syscall.h"

/* Differences from Linux, all from the registration being the host fd's:
 * two guest descriptors sharing one open file description (dup) are one
 * registration (the second EPOLL_CTL_ADD says EEXIST), and the signal
 * mask of epoll_pwait is checked but not applied, as ppoll's. */

#define EPOLL_NAME "anon_inode:[eventpoll]"
#define MAX_EVENTS_PER_CALL 4096

_Static_assert(sizeof(struct epoll_event) == 12, "x86-64 epoll_event is packed");

static bool is_epoll(const struct vfile *f)
{
	return f->kind == VFILE_HOST && f->path && !strcmp(f->path, EPOLL_NAME);
}

static long do_epoll_create(struct task_struct *t, int flags)
{
	struct vfile *f;
	int hfd;
	long fd;

	if (flags & ~EPOLL_CLOEXEC)
		return -EINVAL;
	if (get_unused_fd(t->files, 0) < 0)
		return -EMFILE;
	hfd = epoll_create1(EPOLL_CLOEXEC);
	if (hfd < 0)
		return -errno;
	f = vfile_new(VFILE_HOST, hfd, O_RDWR, EPOLL_NAME);
	if (!f) {
		close(hfd);
		return -ENOMEM;
	}
	fd = fd_install(t->files, 0, f, flags & EPOLL_CLOEXEC);
	if (fd < 0)
		vfile_put(f);
	return fd;
}

static long sys_epoll_create(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	if ((int)a[0] <= 0)
		return -EINVAL;
	return do_epoll_create(t, 0);
}

static long sys_epoll_create1(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	return do_epoll_create(t, (int)a[0]);
}

static long sys_epoll_ctl(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	int op = (int)a[1];
	struct vfile *ep = fd_lookup(t->files, (int)a[0]), *f = fd_lookup(t->files, (int)a[2]);
	struct epoll_event ev = { 0 };

	/* Linux's order: the event copy, then the descriptors. */
	if (op != EPOLL_CTL_DEL && copy_from_user(t->mm, &ev, a[3], sizeof(ev)) < 0)
		return -EFAULT;
	if (!ep || !f || (ep->flags & O_PATH) || (f->flags & O_PATH))
		return -EBADF;
	if (f->kind != VFILE_HOST || f->generated)
		return -EPERM;           /* no poll method: Linux's answer for files */
	if (ep == f || !is_epoll(ep))
		return -EINVAL;
	if (epoll_ctl(ep->host_fd, op, f->host_fd, &ev) < 0)
		return -errno;
	return 0;
}

/* Collects ready events without waiting into the guest's array: the count,
 * or -errno. */
static long collect(struct task_struct *t, int hepfd, uint64_t uevents, int maxevents, int timeout_ms)
{
	int n = maxevents > MAX_EVENTS_PER_CALL ? MAX_EVENTS_PER_CALL : maxevents;
	struct epoll_event *ev = calloc((size_t)n, sizeof(*ev));
	long r;

	if (!ev)
		return -ENOMEM;
	r = epoll_wait(hepfd, ev, n, timeout_ms);
	if (r < 0)
		r = errno == EINTR ? -ERESTARTNOHAND : -errno;
	else if (r > 0 && copy_to_user(t->mm, uevents, ev, (size_t)r * sizeof(*ev)) < 0)
		r = -EFAULT;
	free(ev);
	return r;
}

/* wait_args: epoll's host fd, events, maxevents, deadline (0: none). */
static int epoll_wait_fn(machine_t *m, struct task_struct *t, long *result)
{
	uint64_t deadline = (uint64_t)t->wait_args[3];
	long r = collect(t, (int)t->wait_args[0], (uint64_t)t->wait_args[1], (int)t->wait_args[2], 0);

	if (r == 0 && !(deadline && machine_now_ns(m) >= deadline))
		return WAIT_SLEEP;
	t->wake_deadline_ns = 0;
	*result = r;
	return WAIT_RESULT;
}

/* timeout_ns < 0: for ever. */
static long do_epoll_wait(machine_t *m, struct task_struct *t, int epfd, uint64_t uevents,
			  int maxevents, int64_t timeout_ns)
{
	struct vfile *ep = fd_lookup(t->files, epfd);
	struct pollfd p;
	long r;

	if (maxevents <= 0 || maxevents > INT_MAX / (int)sizeof(struct epoll_event))
		return -EINVAL;
	if (!ep)
		return -EBADF;
	if (!is_epoll(ep))
		return -EINVAL;
	if (timeout_ns == 0 || !must_sleep_in_guest(m, t)) {
		int ms = timeout_ns < 0 ? -1 : (int)((timeout_ns + 999999) / 1000000);

		if (timeout_ns > (int64_t)INT_MAX * 1000000)
			ms = INT_MAX;
		return collect(t, ep->host_fd, uevents, maxevents, ms);
	}
	r = collect(t, ep->host_fd, uevents, maxevents, 0);
	if (r != 0)
		return r;
	t->wait_args[0] = ep->host_fd;
	t->wait_args[1] = (long)uevents;
	t->wait_args[2] = maxevents;
	t->wait_args[3] = timeout_ns < 0 ? 0 : (long)(machine_now_ns(m) + (uint64_t)timeout_ns);
	t->wake_deadline_ns = (uint64_t)t->wait_args[3];
	p = (struct pollfd){ ep->host_fd, POLLIN, 0 };
	if (!task_wait_host(t, &p, 1))
		return -ENOMEM;
	task_sleep(m, t, epoll_wait_fn);
	/* Linux: a handler makes epoll_wait EINTR whatever SA_RESTART says. */
	return -ERESTARTNOHAND;
}

static long sys_epoll_wait(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	int ms = (int)a[3];

	return do_epoll_wait(m, t, (int)a[0], a[1], (int)a[2], ms < 0 ? -1 : (int64_t)ms * 1000000);
}

static long sys_epoll_pwait(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	int ms = (int)a[3];

	if (a[4] && a[5] != 8)
		return -EINVAL;
	return do_epoll_wait(m, t, (int)a[0], a[1], (int)a[2], ms < 0 ? -1 : (int64_t)ms * 1000000);
}

static long sys_epoll_pwait2(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	int64_t ts[2];

	if (a[4] && a[5] != 8)
		return -EINVAL;
	if (!a[3])
		return do_epoll_wait(m, t, (int)a[0], a[1], (int)a[2], -1);
	if (copy_from_user(t->mm, ts, a[3], sizeof(ts)) < 0)
		return -EFAULT;
	if (ts[0] < 0 || ts[1] < 0 || ts[1] >= 1000000000)
		return -EINVAL;
	if (ts[0] > INT64_MAX / 2000000000)
		ts[0] = INT64_MAX / 2000000000;
	return do_epoll_wait(m, t, (int)a[0], a[1], (int)a[2], ts[0] * 1000000000 + ts[1]);
}

#ifndef SYS_epoll_pwait2
#define SYS_epoll_pwait2 441
#endif

void sys_epoll_register(struct syscall_desc *table)
{
	SYSCALL(table, SYS_epoll_create, sys_epoll_create);
	SYSCALL(table, SYS_epoll_create1, sys_epoll_create1);
	SYSCALL(table, SYS_epoll_ctl, sys_epoll_ctl);
	SYSCALL(table, SYS_epoll_wait, sys_epoll_wait);
	SYSCALL(table, SYS_epoll_pwait, sys_epoll_pwait);
	SYSCALL(table, SYS_epoll_pwait2, sys_epoll_pwait2);
}
