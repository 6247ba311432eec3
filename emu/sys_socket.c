/* Socket syscalls over host sockets: AF_UNIX (stream, datagram, seqpacket,
 * socketpair; file names resolved below --root, abstract names in the
 * host's namespace) and AF_INET/AF_INET6 limited by --net. Blocking calls
 * sleep in the guest kernel, as pipe reads do, so other guest tasks run. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "syscall.h"
#include "vfs.h"

/* Conventions.
 * - A guest socket is a VFILE_HOST whose host fd is a host socket that
 *   vmemu made (always SOCK_CLOEXEC); read, write, poll, fcntl, ioctl and
 *   close go through sys_fs.c like any host fd.
 * - Blocking: a blocking call that would wait, made while other tasks are
 *   alive or in a deterministic run, is done without waiting on the host
 *   (MSG_DONTWAIT, or O_NONBLOCK for the moment of the call) and, when the
 *   host says EAGAIN, the task sleeps until the host fd is ready and the
 *   call runs again (sleep_on_host_fd). SO_RCVTIMEO/SO_SNDTIMEO are then
 *   not applied; a stream send may return a partial count where Linux
 *   would have waited to send everything.
 * - --net (vmemu_config.net): loopback (the default) refuses to connect or
 *   send to an address that is not loopback (ENETUNREACH, as Linux answers
 *   without a route), refuses to bind one (EADDRNOTAVAIL, as Linux does for
 *   an address not on this host), and binds the wildcard address to the
 *   loopback one (so a guest server listening on "any" is reachable from
 *   the guests and the host's loopback only: getsockname then shows
 *   127.0.0.1 or ::1); an unbound TCP socket that listens, or UDP socket
 *   that sends, is bound to loopback first. none refuses socket(AF_INET,
 *   AF_INET6) with EAFNOSUPPORT, as a kernel without IP does. host passes
 *   everything through.
 * - AF_UNIX file names: the guest's path below --root becomes the host's
 *   (root + guest absolute path); names the host reports back lose the
 *   root prefix. A path too long for sun_path with the root prefixed is
 *   reached through the parent directory's /proc/self/fd link, and is then
 *   reported back as that link. Abstract names and autobind are the host's.
 * - SCM_RIGHTS passes guest descriptors (as host ones underneath); other
 *   control messages pass through unchanged (SCM_CREDENTIALS shows host
 *   ids). Other families (netlink, packet...) get EAFNOSUPPORT. */

#define SOCK_TYPE_MASK 0xf
#define MAX_SOCK_IO (4u << 20)          /* bounce buffer cap for one call */
#define K_UIO_MAXIOV 1024

struct k_msghdr {
	uint64_t name;
	uint32_t namelen, pad0;
	uint64_t iov;
	uint64_t iovlen;
	uint64_t control;
	uint64_t controllen;
	int32_t flags, pad1;
};
_Static_assert(sizeof(struct k_msghdr) == 56, "x86-64 struct msghdr");

struct k_iovec {
	uint64_t base, len;
};

/* ------------------------------------------------------------------ */
/* helpers                                                             */

static long host_err(long r)
{
	return r < 0 ? -errno : r;
}

/* A host EINTR (a host signal) as the restart code the dispatcher knows. */
static long restartable(long r)
{
	return r == -EINTR ? -ERESTARTSYS : r;
}

static bool is_socket(int hfd)
{
	struct stat st;

	return fstat(hfd, &st) == 0 && S_ISSOCK(st.st_mode);
}

/* The socket behind a guest fd, or NULL with *err = -EBADF / -ENOTSOCK. */
static struct vfile *sock_file(struct task_struct *t, uint64_t fd, long *err)
{
	struct vfile *f = fd_lookup(t->files, (int)fd);

	if (!f || (f->flags & O_PATH)) {
		*err = -EBADF;
		return NULL;
	}
	if (f->kind != VFILE_HOST || !is_socket(f->host_fd)) {
		*err = -ENOTSOCK;
		return NULL;
	}
	return f;
}

static int sock_family(int hfd)
{
	int v = 0;
	socklen_t l = sizeof(v);

	getsockopt(hfd, SOL_SOCKET, SO_DOMAIN, &v, &l);
	return v;
}

static int sock_type(int hfd)
{
	int v = 0;
	socklen_t l = sizeof(v);

	getsockopt(hfd, SOL_SOCKET, SO_TYPE, &v, &l);
	return v;
}

/* Whether a blocking call must not block the host (see the conventions). */
static bool coop(machine_t *m, struct task_struct *t, struct vfile *f, int msg_flags)
{
	return !(f->flags & O_NONBLOCK) && !(msg_flags & MSG_DONTWAIT) && must_sleep_in_guest(m, t);
}

/* O_NONBLOCK on the host fd for the length of one call. */
static int nonblock_on(int hfd)
{
	int fl = fcntl(hfd, F_GETFL);

	if (fl >= 0 && !(fl & O_NONBLOCK))
		fcntl(hfd, F_SETFL, fl | O_NONBLOCK);
	return fl;
}

static void nonblock_restore(int hfd, int fl)
{
	if (fl >= 0 && !(fl & O_NONBLOCK))
		fcntl(hfd, F_SETFL, fl);
}

static long install_socket(struct task_struct *t, int hfd, int type_flags)
{
	struct vfile *f;
	struct stat st;
	char name[48];
	long fd;

	fstat(hfd, &st);
	snprintf(name, sizeof(name), "socket:[%lu]", (unsigned long)st.st_ino);
	f = vfile_new(VFILE_HOST, hfd, O_RDWR | ((type_flags & SOCK_NONBLOCK) ? O_NONBLOCK : 0), name);
	if (!f) {
		close(hfd);
		return -ENOMEM;
	}
	fd = fd_install(t->files, 0, f, type_flags & SOCK_CLOEXEC);
	if (fd < 0)
		vfile_put(f);
	return fd;
}

/* ---- addresses ---- */

static bool v4_loopback(uint32_t be)
{
	uint32_t a = ntohl(be);

	return (a >> 24) == 127 || a == INADDR_ANY;
}

/* Loopback, or the unspecified address (which Linux connects locally). */
static bool addr_is_local(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return v4_loopback(((const struct sockaddr_in *)ss)->sin_addr.s_addr);
	if (ss->ss_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)ss)->sin6_addr;

		if (IN6_IS_ADDR_LOOPBACK(a) || IN6_IS_ADDR_UNSPECIFIED(a))
			return true;
		if (IN6_IS_ADDR_V4MAPPED(a)) {
			uint32_t v4;

			memcpy(&v4, &a->s6_addr[12], 4);
			return v4_loopback(v4);
		}
		return false;
	}
	return true;     /* AF_UNSPEC (disconnect) and the rest are not IP */
}

static bool addr_is_wildcard(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ((const struct sockaddr_in *)ss)->sin_addr.s_addr == htonl(INADDR_ANY);
	if (ss->ss_family == AF_INET6)
		return IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)ss)->sin6_addr);
	return false;
}

static bool is_ip(int family)
{
	return family == AF_INET || family == AF_INET6;
}

/* Binds an unbound IP socket to the loopback address, port 0 (loopback
 * mode: listen and sends would otherwise bind the wildcard address). */
static void autobind_loopback(machine_t *m, int hfd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int family = sock_family(hfd);

	if (m->cfg.net != VMEMU_NET_LOOPBACK || !is_ip(family))
		return;
	if (getsockname(hfd, (struct sockaddr *)&ss, &len) < 0)
		return;
	if (family == AF_INET && ((struct sockaddr_in *)&ss)->sin_port == 0) {
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

		bind(hfd, (struct sockaddr *)&a, sizeof(a));
	} else if (family == AF_INET6 && ((struct sockaddr_in6 *)&ss)->sin6_port == 0) {
		struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };

		bind(hfd, (struct sockaddr *)&a, sizeof(a));
	}
}

enum addr_use { ADDR_BIND, ADDR_CONNECT, ADDR_SEND };

/* A guest address into a host one: reads it, resolves AF_UNIX names below
 * the root and applies the --net policy. *dirfd (if >= 0 on return) must be
 * closed after the host call. */
static long addr_from_guest(machine_t *m, struct task_struct *t, uint64_t uaddr, uint64_t ulen,
			    enum addr_use use, struct sockaddr_storage *ss, socklen_t *len,
			    int *dirfd)
{
	*dirfd = -1;
	if ((int)ulen < 0 || ulen > sizeof(*ss))
		return -EINVAL;
	memset(ss, 0, sizeof(*ss));
	if (ulen && copy_from_user(t->mm, ss, uaddr, ulen) < 0)
		return -EFAULT;
	*len = (socklen_t)ulen;
	if (ulen < sizeof(sa_family_t))
		return -EINVAL;
	if (is_ip(ss->ss_family)) {
		if (m->cfg.net == VMEMU_NET_NONE)
			return use == ADDR_BIND ? -EADDRNOTAVAIL : -ENETUNREACH;
		if (m->cfg.net != VMEMU_NET_LOOPBACK)
			return 0;
		if (use == ADDR_BIND) {
			if (addr_is_wildcard(ss)) {
				if (ss->ss_family == AF_INET && ulen >= sizeof(struct sockaddr_in))
					((struct sockaddr_in *)ss)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
				else if (ss->ss_family == AF_INET6 && ulen >= sizeof(struct sockaddr_in6))
					((struct sockaddr_in6 *)ss)->sin6_addr = in6addr_loopback;
			} else if (!addr_is_local(ss)) {
				return -EADDRNOTAVAIL;
			}
		} else if (!addr_is_local(ss)) {
			return -ENETUNREACH;
		}
		return 0;
	}
	if (ss->ss_family == AF_UNIX && ulen > offsetof(struct sockaddr_un, sun_path)) {
		struct sockaddr_un *un = (struct sockaddr_un *)ss;
		size_t plen = ulen - offsetof(struct sockaddr_un, sun_path);
		char path[sizeof(un->sun_path) + 1], *gabs, host[PATH_MAX];
		const char *base;
		int err = 0;

		if (!un->sun_path[0])
			return 0;                /* abstract: the host's namespace */
		memcpy(path, un->sun_path, plen);
		path[plen] = 0;
		gabs = vfs_guest_path(m, t, AT_FDCWD, path, &err);
		if (!gabs)
			return err ? err : -ENOMEM;
		if (strcmp(m->root, "/"))
			snprintf(host, sizeof(host), "%s%s", m->root, gabs);
		else
			snprintf(host, sizeof(host), "%s", gabs);
		if (strlen(host) >= sizeof(un->sun_path)) {
			int pfd = vfs_lookup_parent(m, t, gabs, &base);

			if (pfd < 0) {
				free(gabs);
				return pfd;
			}
			snprintf(host, sizeof(host), "/proc/self/fd/%d/%s", pfd, base);
			*dirfd = pfd;
			if (strlen(host) >= sizeof(un->sun_path)) {
				free(gabs);
				return -ENAMETOOLONG;
			}
		}
		free(gabs);
		memset(un->sun_path, 0, sizeof(un->sun_path));
		memcpy(un->sun_path, host, strlen(host));
		*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(host) + 1);
	}
	return 0;
}

/* A host address back to the guest (Linux's move_addr_to_user): at most
 * *ulen bytes, and the full length in *ulen. */
static long addr_to_guest(machine_t *m, struct task_struct *t, struct sockaddr_storage *ss,
			  socklen_t len, uint64_t uaddr, uint64_t ulenp)
{
	int32_t ulen;
	size_t rl = strlen(m->root);

	if (!uaddr)
		return 0;
	if (copy_from_user(t->mm, &ulen, ulenp, sizeof(ulen)) < 0)
		return -EFAULT;
	if (ulen < 0)
		return -EINVAL;
	if (ss->ss_family == AF_UNIX && rl > 1 && len > offsetof(struct sockaddr_un, sun_path)) {
		struct sockaddr_un *un = (struct sockaddr_un *)ss;
		size_t plen = strnlen(un->sun_path, len - offsetof(struct sockaddr_un, sun_path));

		if (un->sun_path[0] && plen > rl && !strncmp(un->sun_path, m->root, rl) &&
		    un->sun_path[rl] == '/') {
			memmove(un->sun_path, un->sun_path + rl, plen - rl);
			memset(un->sun_path + plen - rl, 0, rl);
			len -= (socklen_t)rl;
		}
	}
	if (ulen && copy_to_user(t->mm, uaddr, ss, (size_t)ulen < len ? (size_t)ulen : len) < 0)
		return -EFAULT;
	ulen = (int32_t)len;
	return copy_to_user(t->mm, ulenp, &ulen, sizeof(ulen)) < 0 ? -EFAULT : 0;
}

/* ------------------------------------------------------------------ */
/* socket, socketpair, bind, listen, connect, accept                   */

static long check_family(machine_t *m, int domain)
{
	switch (domain) {
	case AF_UNIX:
		return 0;
	case AF_INET:
	case AF_INET6:
		return m->cfg.net == VMEMU_NET_NONE ? -EAFNOSUPPORT : 0;
	default:
		return -EAFNOSUPPORT;
	}
}

static long sys_socket(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	int domain = (int)a[0], type = (int)a[1], hfd;
	long r;

	if (type & ~(SOCK_TYPE_MASK | SOCK_NONBLOCK | SOCK_CLOEXEC))
		return -EINVAL;
	r = check_family(m, domain);
	if (r < 0)
		return r;
	if (get_unused_fd(t->files, 0) < 0)
		return -EMFILE;
	hfd = socket(domain, type | SOCK_CLOEXEC, (int)a[2]);
	if (hfd < 0)
		return -errno;
	return install_socket(t, hfd, type);
}

static long sys_socketpair(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	int domain = (int)a[0], type = (int)a[1], hfd[2];
	int32_t fds[2];
	long r;

	if (type & ~(SOCK_TYPE_MASK | SOCK_NONBLOCK | SOCK_CLOEXEC))
		return -EINVAL;
	r = check_family(m, domain);
	if (r < 0)
		return r;
	if (socketpair(domain, type | SOCK_CLOEXEC, (int)a[2], hfd) < 0)
		return -errno;
	r = install_socket(t, hfd[0], type);
	if (r < 0) {
		close(hfd[1]);
		return r;
	}
	fds[0] = (int32_t)r;
	r = install_socket(t, hfd[1], type);
	if (r < 0) {
		fd_close(t->files, fds[0]);
		return r;
	}
	fds[1] = (int32_t)r;
	if (copy_to_user(t->mm, a[3], fds, sizeof(fds)) < 0) {
		fd_close(t->files, fds[0]);
		fd_close(t->files, fds[1]);
		return -EFAULT;
	}
	return 0;
}

static long sys_bind(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	struct sockaddr_storage ss;
	socklen_t len;
	struct vfile *f;
	int dirfd;
	long r;

	if (!(f = sock_file(t, a[0], &r)))
		return r;
	r = addr_from_guest(m, t, a[1], a[2], ADDR_BIND, &ss, &len, &dirfd);
	if (r == 0)
		r = host_err(bind(f->host_fd, (struct sockaddr *)&ss, len));
	if (dirfd >= 0)
		close(dirfd);
	return r;
}

static long sys_listen(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	struct vfile *f;
	long r;

	if (!(f = sock_file(t, a[0], &r)))
		return r;
	if (sock_type(f->host_fd) == SOCK_STREAM)
		autobind_loopback(m, f->host_fd);
	return host_err(listen(f->host_fd, (int)a[1]));
}

/* A connect in progress on the host (a blocking connect made without
 * blocking): its result is SO_ERROR once the socket is writable. */
static int connect_wait(machine_t *m, struct task_struct *t, long *result)
{
	int hfd = (int)t->wait_args[0], err = 0;
	socklen_t l = sizeof(err);

	if (!host_fd_ready(hfd, POLLOUT))
		return WAIT_SLEEP;
	getsockopt(hfd, SOL_SOCKET, SO_ERROR, &err, &l);
	*result = -err;
	return WAIT_RESULT;
}

static long sys_connect(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	struct sockaddr_storage ss;
	socklen_t len;
	struct vfile *f;
	int dirfd, fl = -1;
	bool c;
	long r;

	if (!(f = sock_file(t, a[0], &r)))
		return r;
	r = addr_from_guest(m, t, a[1], a[2], ADDR_CONNECT, &ss, &len, &dirfd);
	if (r < 0)
		return r;
	if (is_ip(ss.ss_family) && sock_type(f->host_fd) == SOCK_DGRAM)
		autobind_loopback(m, f->host_fd);
	c = coop(m, t, f, 0);
	if (c)
		fl = nonblock_on(f->host_fd);
	r = host_err(connect(f->host_fd, (struct sockaddr *)&ss, len));
	if (c)
		nonblock_restore(f->host_fd, fl);
	if (dirfd >= 0)
		close(dirfd);
	if (c && r == -EINPROGRESS) {
		struct pollfd p = { f->host_fd, POLLOUT, 0 };

		t->wait_args[0] = f->host_fd;
		t->wake_deadline_ns = 0;
		if (!task_wait_host(t, &p, 1))
			return -ENOMEM;
		return task_sleep(m, t, connect_wait);
	}
	if (c && r == -EAGAIN)          /* AF_UNIX: the listener's backlog is full */
		return sleep_on_host_fd(m, t, f->host_fd, POLLOUT);
	return restartable(r);
}

static long do_accept(machine_t *m, struct task_struct *t, const uint64_t *a, int flags)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct vfile *f;
	int hfd, fl = -1;
	bool c;
	long r, fd;

	if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC))
		return -EINVAL;
	if (!(f = sock_file(t, a[0], &r)))
		return r;
	if (get_unused_fd(t->files, 0) < 0)
		return -EMFILE;
	c = coop(m, t, f, 0);
	if (c && !host_fd_ready(f->host_fd, POLLIN))
		return sleep_on_host_fd(m, t, f->host_fd, POLLIN);
	if (c)
		fl = nonblock_on(f->host_fd);
	hfd = accept4(f->host_fd, (struct sockaddr *)&ss, &len, SOCK_CLOEXEC | (flags & SOCK_NONBLOCK));
	r = hfd < 0 ? -errno : 0;
	if (c)
		nonblock_restore(f->host_fd, fl);
	if (c && r == -EAGAIN)
		return sleep_on_host_fd(m, t, f->host_fd, POLLIN);
	if (r < 0)
		return restartable(r);
	fd = install_socket(t, hfd, flags);
	if (fd < 0)
		return fd;
	if (a[1]) {
		r = addr_to_guest(m, t, &ss, len, a[1], a[2]);
		if (r < 0) {
			fd_close(t->files, (int)fd);
			return r;
		}
	}
	return fd;
}

static long sys_accept(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	return do_accept(m, t, a, 0);
}

static long sys_accept4(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	return do_accept(m, t, a, (int)a[3]);
}

static long sys_shutdown(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	struct vfile *f;
	long r;

	if (!(f = sock_file(t, a[0], &r)))
		return r;
	return host_err(shutdown(f->host_fd, (int)a[1]));
}

static long name_call(machine_t *m, struct task_struct *t, const uint64_t *a, bool peer)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct vfile *f;
	long r;

	if (!(f = sock_file(t, a[0], &r)))
		return r;
	memset(&ss, 0, sizeof(ss));
	r = host_err(peer ? getpeername(f->host_fd, (struct sockaddr *)&ss, &len)
			  : getsockname(f->host_fd, (struct sockaddr *)&ss, &len));
	if (r < 0)
		return r;
	if (len > sizeof(ss))
		len = sizeof(ss);
	return addr_to_guest(m, t, &ss, len, a[1], a[2]);
}

static long sys_getsockname(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	return name_call(m, t, a, false);
}

static long sys_getpeername(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	return name_call(m, t, a, true);
}

/* ------------------------------------------------------------------ */
/* options                                                             */

#define MAX_OPTLEN 4096

static long sys_setsockopt(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	int32_t optlen = (int32_t)a[4];
	char buf[MAX_OPTLEN];
	struct vfile *f;
	long r;

	if (!(f = sock_file(t, a[0], &r)))
		return r;
	if (optlen < 0)
		return -EINVAL;
	if (optlen > MAX_OPTLEN)
		optlen = MAX_OPTLEN;
	if (optlen && copy_from_user(t->mm, buf, a[3], (size_t)optlen) < 0)
		return -EFAULT;
	return host_err(setsockopt(f->host_fd, (int)a[1], (int)a[2], a[3] ? buf : NULL,
				   (socklen_t)optlen));
}

static long sys_getsockopt(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	char buf[MAX_OPTLEN];
	int32_t optlen;
	socklen_t hl;
	struct vfile *f;
	long r;

	if (!(f = sock_file(t, a[0], &r)))
		return r;
	if (copy_from_user(t->mm, &optlen, a[4], sizeof(optlen)) < 0)
		return -EFAULT;
	if (optlen < 0)
		return -EINVAL;
	hl = (socklen_t)(optlen > MAX_OPTLEN ? MAX_OPTLEN : optlen);
	memset(buf, 0, sizeof(buf));
	r = host_err(getsockopt(f->host_fd, (int)a[1], (int)a[2], buf, &hl));
	if (r < 0)
		return r;
	if (hl && copy_to_user(t->mm, a[3], buf, hl) < 0)
		return -EFAULT;
	optlen = (int32_t)hl;
	return copy_to_user(t->mm, a[4], &optlen, sizeof(optlen)) < 0 ? -EFAULT : 0;
}

/* ------------------------------------------------------------------ */
/* data: sendto, sendmsg, recvfrom, recvmsg                            */

/* A guest iovec array as (base, len) pairs and their total (capped). */
static long read_iov(struct task_struct *t, uint64_t uiov, uint64_t n, struct k_iovec **out,
		     size_t *total)
{
	struct k_iovec *v;

	*out = NULL;
	*total = 0;
	if (n > K_UIO_MAXIOV)
		return -EMSGSIZE;
	v = calloc(n ? n : 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	if (n && copy_from_user(t->mm, v, uiov, n * sizeof(*v)) < 0) {
		free(v);
		return -EFAULT;
	}
	for (uint64_t i = 0; i < n; i++) {
		if ((int64_t)v[i].len < 0) {
			free(v);
			return -EINVAL;
		}
		if (*total + v[i].len > MAX_SOCK_IO)
			v[i].len = MAX_SOCK_IO - *total;
		*total += v[i].len;
	}
	*out = v;
	return 0;
}

static long gather(struct task_struct *t, const struct k_iovec *v, uint64_t n, char *buf)
{
	size_t off = 0;

	for (uint64_t i = 0; i < n; i++) {
		if (v[i].len && copy_from_user(t->mm, buf + off, v[i].base, v[i].len) < 0)
			return -EFAULT;
		off += v[i].len;
	}
	return 0;
}

static long scatter(struct task_struct *t, const struct k_iovec *v, uint64_t n, const char *buf,
		    size_t len)
{
	size_t off = 0;

	for (uint64_t i = 0; i < n && off < len; i++) {
		size_t k = v[i].len < len - off ? v[i].len : len - off;

		if (k && copy_to_user(t->mm, v[i].base, buf + off, k) < 0)
			return -EFAULT;
		off += k;
	}
	return 0;
}

/* SCM_RIGHTS in a control buffer: guest fds to host fds (sending). */
static long control_to_host(struct task_struct *t, char *ctl, size_t len)
{
	struct msghdr mh = { .msg_control = ctl, .msg_controllen = len };

	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		int n = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		int *fds = (int *)CMSG_DATA(c);

		for (int i = 0; i < n; i++) {
			struct vfile *f = fd_lookup(t->files, fds[i]);

			if (!f || f->kind != VFILE_HOST)
				return -EBADF;
			fds[i] = f->host_fd;
		}
	}
	return 0;
}

/* SCM_RIGHTS received: each host fd becomes a new guest descriptor. */
static void control_to_guest(machine_t *m, struct task_struct *t, char *ctl, size_t len,
			     bool cloexec)
{
	struct msghdr mh = { .msg_control = ctl, .msg_controllen = len };

	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		int n = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		int *fds = (int *)CMSG_DATA(c);

		for (int i = 0; i < n; i++) {
			char *gp = vfs_fd_guest_path(m, fds[i]);
			int fl = fcntl(fds[i], F_GETFL);
			struct vfile *f;
			long fd;

			fcntl(fds[i], F_SETFD, FD_CLOEXEC);
			f = vfile_new(VFILE_HOST, fds[i], fl < 0 ? O_RDWR : fl & ~O_CLOEXEC, gp);
			free(gp);
			fd = f ? fd_install(t->files, 0, f, cloexec) : -ENOMEM;
			if (fd < 0) {
				if (f)
					vfile_put(f);
				else
					close(fds[i]);
			}
			fds[i] = (int)fd;
		}
	}
}

static void sigpipe_to(struct task_struct *t)
{
	struct k_siginfo info = { .si_signo = SIGPIPE, .si_code = 0 /* SI_USER */ };

	info.u.kill.pid = t->tgid;
	send_signal(t, &info);
}

static long do_sendmsg(machine_t *m, struct task_struct *t, struct vfile *f, const struct k_msghdr *km,
		       int flags)
{
	struct sockaddr_storage ss;
	socklen_t alen = 0;
	struct k_iovec *v;
	struct iovec iov;
	struct msghdr mh;
	char *buf = NULL, *ctl = NULL;
	size_t total;
	int dirfd = -1;
	bool c = coop(m, t, f, flags);
	long r;

	r = read_iov(t, km->iov, km->iovlen, &v, &total);
	if (r < 0)
		return r;
	memset(&mh, 0, sizeof(mh));
	if (km->name && km->namelen) {
		r = addr_from_guest(m, t, km->name, km->namelen, ADDR_SEND, &ss, &alen, &dirfd);
		if (r < 0)
			goto out;
		mh.msg_name = &ss;
		mh.msg_namelen = alen;
		if (is_ip(ss.ss_family))
			autobind_loopback(m, f->host_fd);
	}
	if (km->controllen) {
		if (km->controllen > 65536) {
			r = -ENOBUFS;
			goto out;
		}
		ctl = malloc(km->controllen);
		if (!ctl || copy_from_user(t->mm, ctl, km->control, km->controllen) < 0) {
			r = ctl ? -EFAULT : -ENOMEM;
			goto out;
		}
		r = control_to_host(t, ctl, km->controllen);
		if (r < 0)
			goto out;
		mh.msg_control = ctl;
		mh.msg_controllen = km->controllen;
	}
	buf = malloc(total ? total : 1);
	if (!buf) {
		r = -ENOMEM;
		goto out;
	}
	r = gather(t, v, km->iovlen, buf);
	if (r < 0)
		goto out;
	iov = (struct iovec){ buf, total };
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	/* The guest gets its own SIGPIPE (send_sigpipe's way): never the host's. */
	r = host_err(sendmsg(f->host_fd, &mh, flags | MSG_NOSIGNAL | (c ? MSG_DONTWAIT : 0)));
	if (r == -EPIPE && !(flags & MSG_NOSIGNAL))
		sigpipe_to(t);
	if (c && r == -EAGAIN)
		r = sleep_on_host_fd(m, t, f->host_fd, POLLOUT);
	else
		r = restartable(r);
out:
	if (dirfd >= 0)
		close(dirfd);
	free(ctl);
	free(buf);
	free(v);
	return r;
}

static long do_recvmsg(machine_t *m, struct task_struct *t, struct vfile *f, struct k_msghdr *km,
		       int flags, uint64_t uname_len_ptr, bool from_recvmsg)
{
	struct sockaddr_storage ss;
	struct k_iovec *v;
	struct iovec iov;
	struct msghdr mh;
	char *buf = NULL, *ctl = NULL;
	size_t total;
	bool c = coop(m, t, f, flags);
	long r, n;

	r = read_iov(t, km->iov, km->iovlen, &v, &total);
	if (r < 0)
		return r;
	if (c && !host_fd_ready(f->host_fd, POLLIN)) {
		free(v);
		return sleep_on_host_fd(m, t, f->host_fd, POLLIN);
	}
	memset(&mh, 0, sizeof(mh));
	memset(&ss, 0, sizeof(ss));
	buf = malloc(total ? total : 1);
	if (!buf) {
		r = -ENOMEM;
		goto out;
	}
	if (km->controllen) {
		size_t cl = km->controllen > 65536 ? 65536 : km->controllen;

		ctl = calloc(1, cl);
		if (!ctl) {
			r = -ENOMEM;
			goto out;
		}
		mh.msg_control = ctl;
		mh.msg_controllen = cl;
	}
	iov = (struct iovec){ buf, total };
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_name = &ss;
	mh.msg_namelen = sizeof(ss);
	n = host_err(recvmsg(f->host_fd, &mh, (flags & ~MSG_CMSG_CLOEXEC) | MSG_CMSG_CLOEXEC |
				      (c ? MSG_DONTWAIT : 0)));
	if (c && n == -EAGAIN) {
		r = sleep_on_host_fd(m, t, f->host_fd, POLLIN);
		goto out;
	}
	if (n < 0) {
		r = restartable(n);
		goto out;
	}
	/* MSG_TRUNC gives the datagram's real length, more than was read. */
	r = scatter(t, v, km->iovlen, buf, (size_t)n < total ? (size_t)n : total);
	if (r < 0)
		goto out;
	if (ctl)
		control_to_guest(m, t, ctl, mh.msg_controllen, flags & MSG_CMSG_CLOEXEC);
	if (from_recvmsg) {
		/* addr_to_guest reads the room from, and writes the length
		 * to, msg_namelen in the guest's msghdr. */
		if (km->name &&
		    addr_to_guest(m, t, &ss, mh.msg_namelen, km->name, uname_len_ptr) < 0) {
			r = -EFAULT;
			goto out;
		}
		if (ctl && copy_to_user(t->mm, km->control, ctl, mh.msg_controllen) < 0) {
			r = -EFAULT;
			goto out;
		}
		km->controllen = mh.msg_controllen;
		km->flags = mh.msg_flags;
	} else if (km->name) {
		if (addr_to_guest(m, t, &ss, mh.msg_namelen, km->name, uname_len_ptr) < 0) {
			r = -EFAULT;
			goto out;
		}
	}
	r = n;
out:
	free(ctl);
	free(buf);
	free(v);
	return r;
}

static long sys_sendto(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	size_t total = a[2] > MAX_SOCK_IO ? MAX_SOCK_IO : a[2];
	int flags = (int)a[3], dirfd = -1;
	struct sockaddr_storage ss;
	socklen_t alen = 0;
	struct vfile *f;
	char *buf;
	bool c;
	long r;

	if (!(f = sock_file(t, a[0], &r)))
		return r;
	c = coop(m, t, f, flags);
	buf = malloc(total ? total : 1);
	if (!buf)
		return -ENOMEM;
	if (total && copy_from_user(t->mm, buf, a[1], total) < 0) {
		r = -EFAULT;
		goto out;
	}
	if (a[4]) {
		r = addr_from_guest(m, t, a[4], a[5], ADDR_SEND, &ss, &alen, &dirfd);
		if (r < 0)
			goto out;
		if (is_ip(ss.ss_family))
			autobind_loopback(m, f->host_fd);
	}
	r = host_err(sendto(f->host_fd, buf, total, flags | MSG_NOSIGNAL | (c ? MSG_DONTWAIT : 0),
			    a[4] ? (struct sockaddr *)&ss : NULL, alen));
	if (r == -EPIPE && !(flags & MSG_NOSIGNAL))
		sigpipe_to(t);
	if (c && r == -EAGAIN)
		r = sleep_on_host_fd(m, t, f->host_fd, POLLOUT);
	else
		r = restartable(r);
out:
	if (dirfd >= 0)
		close(dirfd);
	free(buf);
	return r;
}

static long sys_recvfrom(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	struct vfile *f;
	struct sockaddr_storage ss;
	socklen_t alen = sizeof(ss);
	size_t total = a[2] > MAX_SOCK_IO ? MAX_SOCK_IO : a[2];
	int flags = (int)a[3];
	bool c;
	char *buf;
	long r;

	if (!(f = sock_file(t, a[0], &r)))
		return r;
	c = coop(m, t, f, flags);
	if (c && !host_fd_ready(f->host_fd, POLLIN))
		return sleep_on_host_fd(m, t, f->host_fd, POLLIN);
	buf = malloc(total ? total : 1);
	if (!buf)
		return -ENOMEM;
	memset(&ss, 0, sizeof(ss));
	r = host_err(recvfrom(f->host_fd, buf, total, flags | (c ? MSG_DONTWAIT : 0),
			      (struct sockaddr *)&ss, &alen));
	if (c && r == -EAGAIN) {
		free(buf);
		return sleep_on_host_fd(m, t, f->host_fd, POLLIN);
	}
	if (r < 0) {
		free(buf);
		return restartable(r);
	}
	if (r && copy_to_user(t->mm, a[1], buf, (size_t)r < total ? (size_t)r : total) < 0) {
		free(buf);
		return -EFAULT;
	}
	free(buf);
	/* A connected stream socket reports no address (alen 0). */
	if (a[4] && alen) {
		long e = addr_to_guest(m, t, &ss, alen, a[4], a[5]);

		if (e < 0)
			return e;
	} else if (a[4] && a[5]) {
		int32_t zero = 0;

		copy_to_user(t->mm, a[5], &zero, sizeof(zero));
	}
	return r;
}

static long sys_sendmsg(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	struct k_msghdr km;
	struct vfile *f;
	long r;

	if (!(f = sock_file(t, a[0], &r)))
		return r;
	if (copy_from_user(t->mm, &km, a[1], sizeof(km)) < 0)
		return -EFAULT;
	return do_sendmsg(m, t, f, &km, (int)a[2]);
}

static long sys_recvmsg(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	struct k_msghdr km;
	struct vfile *f;
	long r;

	if (!(f = sock_file(t, a[0], &r)))
		return r;
	if (copy_from_user(t->mm, &km, a[1], sizeof(km)) < 0)
		return -EFAULT;
	r = do_recvmsg(m, t, f, &km, (int)a[2], a[1] + offsetof(struct k_msghdr, namelen), true);
	if (r < 0)
		return r;
	if (copy_to_user(t->mm, a[1] + offsetof(struct k_msghdr, controllen), &km.controllen,
			 sizeof(km.controllen)) < 0 ||
	    copy_to_user(t->mm, a[1] + offsetof(struct k_msghdr, flags), &km.flags,
			 sizeof(km.flags)) < 0)
		return -EFAULT;
	return r;
}

void sys_socket_register(struct syscall_desc *table)
{
	SYSCALL(table, SYS_socket, sys_socket);
	SYSCALL(table, SYS_socketpair, sys_socketpair);
	SYSCALL(table, SYS_bind, sys_bind);
	SYSCALL(table, SYS_listen, sys_listen);
	SYSCALL(table, SYS_connect, sys_connect);
	SYSCALL(table, SYS_accept, sys_accept);
	SYSCALL(table, SYS_accept4, sys_accept4);
	SYSCALL(table, SYS_shutdown, sys_shutdown);
	SYSCALL(table, SYS_getsockname, sys_getsockname);
	SYSCALL(table, SYS_getpeername, sys_getpeername);
	SYSCALL(table, SYS_setsockopt, sys_setsockopt);
	SYSCALL(table, SYS_getsockopt, sys_getsockopt);
	SYSCALL(table, SYS_sendto, sys_sendto);
	SYSCALL(table, SYS_recvfrom, sys_recvfrom);
	SYSCALL(table, SYS_sendmsg, sys_sendmsg);
	SYSCALL(table, SYS_recvmsg, sys_recvmsg);
}
