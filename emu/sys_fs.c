/* File syscalls: open/read/write/stat and the rest of the file API over host
 * files below the root (paths through vfs.c), the descriptor calls (dup,
 * fcntl, ioctl, pipe) and readiness (poll, select), with Linux's errors. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/uio.h>

#include "syscall.h"
#include "vfs.h"
#include "procfs.h"
#include "pagecache.h"
#include "inject.h"

/* Conventions of this file.
 * - Guest structures are copied with their Linux x86-64 sizes; on x86-64
 *   glibc's struct stat, statx, statfs, iovec, pollfd, flock, timespec,
 *   timeval and winsize have exactly the kernel's layout. struct termios
 *   does not (glibc's is bigger), so the kernel's is declared here.
 * - Guest descriptors map to host descriptors that vmemu opened itself,
 *   always O_CLOEXEC on the host. Most errors are the host kernel's own
 *   answer for the same operation, which is Linux's by construction; the
 *   checks made here are the ones Linux makes before the host call could
 *   (flag validation, ordering of EBADF/EINVAL/EFAULT).
 * - umask: creating calls pass mode & ~t->umask to the host, whose own
 *   umask then applies too (vmemu does not clear it). With the usual host
 *   umask 022 and a guest umask of 022 or wider this is exactly Linux.
 * - A blocking host call blocks the whole machine. Reads, writes and
 *   sendfile on pipes, sockets and terminals avoid that when other guest
 *   tasks are alive (they sleep in the guest kernel instead, see
 *   host_fd_wait), and so do poll and select (also in deterministic runs,
 *   whose timeouts are on the virtual clock); flock, F_SETLKW and FIFO
 *   opens still block in the host. An EINTR from the host becomes a restart code so the
 *   dispatcher applies SA_RESTART. */

#define RW_CHUNK       (1u << 20)               /* bounce buffer per host call */
#define MAX_RW_COUNT   (INT_MAX & ~4095L)       /* Linux caps one transfer here */
#define K_UIO_MAXIOV   1024            /* Linux's UIO_MAXIOV */
#define DIRENT_CHUNK   (256u << 10)

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif
#ifndef __NR_fchmodat2
#define __NR_fchmodat2 452
#endif
#ifndef SYS_faccessat2
#define SYS_faccessat2 439
#endif
#ifndef __NR_close_range
#define __NR_close_range 436
#endif
#ifndef CLOSE_RANGE_UNSHARE
#define CLOSE_RANGE_UNSHARE (1U << 1)
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* open(2) flags Linux accepts; anything else is silently dropped by open
 * and openat (openat2 would refuse it, so it must go before the host). */
#define VALID_OPEN_FLAGS \
	(O_ACCMODE | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_APPEND | O_NONBLOCK | \
	 O_DSYNC | O_SYNC | O_ASYNC | O_DIRECT | O_LARGEFILE | O_DIRECTORY | \
	 O_NOFOLLOW | O_NOATIME | O_CLOEXEC | O_PATH | O_TMPFILE)
#define O_PATH_FLAGS (O_DIRECTORY | O_NOFOLLOW | O_PATH | O_CLOEXEC)

/* The kernel's struct termios (<asm/termbits.h>): 36 bytes, and termios2
 * with the speeds: 44 bytes. */
struct k_termios {
	uint32_t c_iflag, c_oflag, c_cflag, c_lflag;
	uint8_t c_line;
	uint8_t c_cc[19];
};
struct k_termios2 {
	struct k_termios t;
	uint32_t c_ispeed, c_ospeed;
};
_Static_assert(sizeof(struct k_termios) == 36, "kernel termios is 36 bytes");
_Static_assert(sizeof(struct k_termios2) == 44, "kernel termios2 is 44 bytes");
_Static_assert(sizeof(struct stat) == 144, "x86-64 struct stat");
_Static_assert(sizeof(struct statx) == 256, "struct statx");
_Static_assert(sizeof(struct statfs) == 120, "x86-64 struct statfs");
_Static_assert(sizeof(struct flock) == 32, "x86-64 struct flock");
#define K_TCGETS2  _IOC(_IOC_READ, 'T', 0x2A, sizeof(struct k_termios2))
#define K_TCSETS2  _IOC(_IOC_WRITE, 'T', 0x2B, sizeof(struct k_termios2))
#define K_TCSETSW2 _IOC(_IOC_WRITE, 'T', 0x2C, sizeof(struct k_termios2))
#define K_TCSETSF2 _IOC(_IOC_WRITE, 'T', 0x2D, sizeof(struct k_termios2))

/* ------------------------------------------------------------------ */
/* Small helpers                                                       */

static long host_err(long r)
{
	return r < 0 ? -errno : r;
}

/* A host EINTR (a host signal arrived) as the restart code Linux uses. */
static long restartable(long r)
{
	return r == -EINTR ? -ERESTARTSYS : r;
}

static struct vfile *file_of(struct task_struct *t, uint64_t fd)
{
	return fd_lookup(t->files, (int)fd);
}

/* Linux sends SIGPIPE with the write that finds no reader. */
static void send_sigpipe(struct task_struct *t)
{
	struct k_siginfo info;

	memset(&info, 0, sizeof(info));
	info.si_signo = SIGPIPE;
	info.si_code = 0;            /* SI_USER, as send_sig(SIGPIPE, current, 0) */
	info.u.kill.pid = t->tgid;
	info.u.kill.uid = getuid();
	send_signal(t, &info);
}

/* A host write that finds no reader raises SIGPIPE in vmemu itself, whose
 * default action would kill the emulator. It is held back on this thread
 * around such writes and taken out again, leaving the process's signal
 * dispositions alone (the program embedding libvmemu owns them); the
 * guest gets its own SIGPIPE from send_sigpipe. */
struct sigpipe_hold {
	sigset_t old;
};

static void sigpipe_block(struct sigpipe_hold *h)
{
	sigset_t s;

	sigemptyset(&s);
	sigaddset(&s, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &s, &h->old);
}

static void sigpipe_restore(struct sigpipe_hold *h, bool epipe)
{
	static const struct timespec zero = { 0, 0 };
	sigset_t s;

	if (epipe && !sigismember(&h->old, SIGPIPE)) {
		sigemptyset(&s);
		sigaddset(&s, SIGPIPE);
		while (sigtimedwait(&s, NULL, &zero) == SIGPIPE)
			;
	}
	pthread_sigmask(SIG_SETMASK, &h->old, NULL);
}

static long get_path(struct task_struct *t, uint64_t uaddr, char *buf)
{
	return strncpy_from_user(t->mm, buf, uaddr, PATH_MAX);
}

/* The guest absolute path named by (dirfd, upath) in *out (malloc'd) and 0;
 * 1 when the path is empty and allow_empty (the call applies to dirfd
 * itself); or -errno. */
static long at_path(machine_t *m, struct task_struct *t, int dirfd, uint64_t upath,
		    bool allow_empty, char **out)
{
	char buf[PATH_MAX];
	long n = get_path(t, upath, buf);
	int err = 0;

	*out = NULL;
	if (n < 0)
		return n;
	if (n == 0)
		return allow_empty ? 1 : -ENOENT;
	*out = vfs_guest_path(m, t, dirfd, buf, &err);
	return *out ? 0 : err;
}

/* What an *at call with AT_* flags names, resolved for an operation on the
 * object itself: exactly one of host_fd (an O_PATH or duplicated host fd,
 * owned), buffer (a kernel-generated open file, borrowed) or link.target
 * (a generated symlink that was not followed) is set on success. */
struct at_target {
	int host_fd;
	struct vfile *buffer;
	struct vfs_link link;
};

static void at_release(struct at_target *tg)
{
	if (tg->host_fd >= 0)
		close(tg->host_fd);
	free(tg->link.target);
	tg->host_fd = -1;
	tg->link.target = NULL;
}

static long at_resolve(machine_t *m, struct task_struct *t, int dirfd, uint64_t upath,
		       int atflags, int oflags, struct at_target *tg)
{
	char *p;
	long r;
	int fd;

	memset(tg, 0, sizeof(*tg));
	tg->host_fd = -1;
	r = at_path(m, t, dirfd, upath, atflags & AT_EMPTY_PATH, &p);
	if (r < 0)
		return r;
	if (r == 1) {
		struct vfile *f;

		if (dirfd == AT_FDCWD) {
			fd = vfs_lookup(m, t, t->cwd, O_PATH | oflags, 0, NULL);
		} else {
			f = file_of(t, dirfd);
			if (!f)
				return -EBADF;
			if (f->kind != VFILE_HOST) {
				tg->buffer = f;
				return 0;
			}
			fd = (int)host_err(fcntl(f->host_fd, F_DUPFD_CLOEXEC, 0));
		}
	} else {
		if (atflags & AT_SYMLINK_NOFOLLOW)
			oflags |= O_NOFOLLOW;
		fd = vfs_lookup(m, t, p, O_PATH | oflags, 0, &tg->link);
		free(p);
		if (fd == -ELOOP && tg->link.target)
			return 0;
	}
	if (fd < 0)
		return fd;
	tg->host_fd = fd;
	return 0;
}

/* "/proc/self/fd/N" for a host fd: the host path through which calls that
 * take no fd (truncate, chmod without fchmodat2, linkat) reach the file. */
static void host_fd_path(char *buf, size_t len, int host_fd)
{
	snprintf(buf, len, "/proc/self/fd/%d", host_fd);
}

/* ------------------------------------------------------------------ */
/* read and write                                                      */

/* One piece of guest memory, and a cursor over a list of them. */
struct useg {
	uint64_t base, len;
};

struct ucursor {
	const struct useg *seg;
	unsigned long nseg, i;
	uint64_t off;
};

static int copy_piece(struct task_struct *t, uint64_t addr, char *buf, size_t len, bool to_user)
{
	return to_user ? copy_to_user(t->mm, addr, buf, len) : copy_from_user(t->mm, buf, addr, len);
}

/* Copies up to len bytes between buf and the guest memory under the
 * cursor, moving it. Returns how many bytes were copied: fewer than asked
 * only at a fault, and then exactly up to the page that faulted, which is
 * where Linux's page-by-page copies stop (a partial read or write). */
static size_t ucopy(struct task_struct *t, struct ucursor *c, char *buf, size_t len, bool to_user)
{
	size_t done = 0;

	while (done < len && c->i < c->nseg) {
		uint64_t addr = c->seg[c->i].base + c->off;
		uint64_t piece = c->seg[c->i].len - c->off;
		bool fault = false;

		if (piece > len - done)
			piece = len - done;
		if (piece && copy_piece(t, addr, buf + done, piece, to_user) < 0) {
			uint64_t ok = 0;

			while (ok < piece) {
				uint64_t step = PAGE_SIZE - ((addr + ok) & (PAGE_SIZE - 1));

				if (step > piece - ok)
					step = piece - ok;
				if (copy_piece(t, addr + ok, buf + done + ok, step, to_user) < 0)
					break;
				ok += step;
			}
			piece = ok;
			fault = true;
		}
		done += piece;
		c->off += piece;
		if (c->off == c->seg[c->i].len) {
			c->i++;
			c->off = 0;
		}
		if (fault)
			break;
	}
	return done;
}

static uint64_t segs_total(const struct useg *seg, unsigned long nseg)
{
	uint64_t total = 0;

	for (unsigned long i = 0; i < nseg; i++)
		total += seg[i].len;
	return total;
}

static bool host_fd_is_regular(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode));
}

/* Waiting for a host fd without stopping the machine. One task alone may
 * block in the host call. With other guest tasks alive, a blocking host
 * read of an empty pipe would stop them all, the writer included, so the
 * task sleeps in the guest kernel instead (restarted when the fd is ready,
 * which gives SA_RESTART semantics for free). The sleeper registers the fd
 * with task_wait_host, so that the scheduler's idle loop waits for it with
 * poll() when nothing else can run; the fd and events are also in
 * wait_args[0..1]. */
bool others_live(machine_t *m, struct task_struct *t)
{
	for (struct task_struct *u = m->tasks; u; u = u->next)
		if (u != t && (u->state == TASK_RUNNING || u->state == TASK_INTERRUPTIBLE))
			return true;
	return false;
}

bool must_sleep_in_guest(machine_t *m, struct task_struct *t)
{
	return m->cfg.deterministic || others_live(m, t);
}

bool host_fd_ready(int fd, short events)
{
	struct pollfd p = { fd, events, 0 };

	return poll(&p, 1, 0) != 0;     /* ready, hung up, in error, or EINTR */
}

static int host_fd_wait(machine_t *m, struct task_struct *t, long *result)
{
	if (host_fd_ready((int)t->wait_args[0], (short)t->wait_args[1]))
		return WAIT_RESTART;
	return WAIT_SLEEP;
}

long sleep_on_host_fd(machine_t *m, struct task_struct *t, int fd, short events)
{
	struct pollfd p = { fd, events, 0 };

	t->wait_args[0] = fd;
	t->wait_args[1] = events;
	t->wake_deadline_ns = 0;
	if (!task_wait_host(t, &p, 1))
		return -ENOMEM;
	return task_sleep(m, t, host_fd_wait);
}

/* Where the host put the n bytes it just wrote (done bytes into the call):
 * at pos, or at the file offset a write() moved, or at the end for a
 * pwrite on an O_APPEND file, which appends on Linux. */
static uint64_t written_at(struct vfile *f, int64_t pos, uint64_t done, ssize_t n)
{
	struct stat st;
	off_t cur;

	if (pos >= 0 && !(f->flags & O_APPEND))
		return (uint64_t)pos + done;
	if (pos < 0 && (cur = lseek(f->host_fd, 0, SEEK_CUR)) >= n)
		return (uint64_t)(cur - n);
	if (fstat(f->host_fd, &st) == 0 && st.st_size >= n)
		return (uint64_t)(st.st_size - n);
	return 0;
}

/* A transfer between guest memory and a host fd through a bounce buffer:
 * pos < 0 uses (and moves) the file position. As on Linux, bytes already
 * transferred win over a later error. A read keeps going past one chunk
 * only on regular files, where Linux would fill the whole buffer; a
 * write keeps going while the host takes everything, as a blocking write
 * does on Linux. Among several tasks, a blocking read or pipe write that
 * would wait sleeps instead (above); such a pipe write may then return a
 * partial count where Linux would have waited to write it all. */
static long host_rw(machine_t *m, struct task_struct *t, struct vfile *f, const struct useg *seg,
		    unsigned long nseg, int64_t pos, int rwf, bool write)
{
	uint64_t total = segs_total(seg, nseg), done = 0;
	size_t bufsz = total < RW_CHUNK ? total : RW_CHUNK;
	struct ucursor cur = { seg, nseg, 0, 0 };
	struct address_space *wmap = NULL;
	struct sigpipe_hold hold;
	bool epipe = false, coop;
	int regular = -1;
	long ret = 0;
	char *buf;

	/* The open mode first: a read of a write-only descriptor (a pipe's
	 * write end) must fail, not wait for data that cannot come. */
	if ((f->flags & O_ACCMODE) == (write ? O_RDONLY : O_WRONLY) || (f->flags & O_PATH))
		return -EBADF;
	if (f->generated && !write && (pos == 0 || (pos < 0 && lseek(f->host_fd, 0, SEEK_CUR) == 0)))
		procfs_refresh(m, t, f->path, f->host_fd);
	coop = !(f->flags & O_NONBLOCK) && !(rwf & RWF_NOWAIT) && others_live(m, t);
	/* Alone, the task may block in the host read; but a host signal that
	 * lands just before the read starts would then be lost until input
	 * comes. Waiting on the fd and the machine's wake pipe together
	 * closes that window: a forwarded signal interrupts the syscall. */
	if (!coop && !write && !(f->flags & O_NONBLOCK) && !(rwf & RWF_NOWAIT) &&
	    m->have_wake_pipe && !host_fd_is_regular(f->host_fd)) {
		struct pollfd pw[2] = { { f->host_fd, POLLIN, 0 }, { m->wake_pipe[0], POLLIN, 0 } };

		if (m->host_event)
			return -ERESTARTSYS;
		while (poll(pw, 2, -1) < 0 && errno == EINTR && !m->host_event)
			;
		if (m->host_event && !(pw[0].revents & (POLLIN | POLLHUP | POLLERR)))
			return -ERESTARTSYS;
	}
	if (coop && !write && !host_fd_ready(f->host_fd, POLLIN))
		return sleep_on_host_fd(m, t, f->host_fd, POLLIN);
	if (coop && write) {
		/* Pipes and sockets take RWF_NOWAIT; regular files and
		 * terminals write without waiting on other tasks anyway. */
		regular = host_fd_is_regular(f->host_fd);
		if (!regular && !isatty(f->host_fd))
			rwf |= RWF_NOWAIT;
		else
			coop = false;
	}
	/* Page aligned: an O_DIRECT host fd wants it. */
	if (posix_memalign((void **)&buf, PAGE_SIZE, bufsz ? bufsz : 1))
		return -ENOMEM;
	if (write && vfile_page_cached(f))
		wmap = vfile_mapping(t, f);
	/* O_DIRECT goes around the cache: what mappings stored must reach
	 * the host file first (Linux writes back before direct I/O). */
	if ((f->flags & O_DIRECT) && pagecache_flush(t, f->host_fd) < 0) {
		free(buf);
		return -EIO;
	}
	if (write)
		sigpipe_block(&hold);
	for (;;) {
		size_t want = total - done < bufsz ? total - done : bufsz;
		size_t have = want, put;
		struct ucursor saved = cur;
		struct iovec iov;
		ssize_t n;

		if (write) {
			have = ucopy(t, &cur, buf, want, false);
			if (want && !have) {
				ret = -EFAULT;
				break;
			}
		}
		iov.iov_base = buf;
		iov.iov_len = have;
		if (write && wmap && (n = machine_inject(m, MM_INJECT_FILE_WRITE)))
			errno = (int)-n, n = -1;
		else if (write)
			n = pwritev2(f->host_fd, &iov, 1, pos < 0 ? -1 : pos + (int64_t)done, rwf);
		else
			n = preadv2(f->host_fd, &iov, 1, pos < 0 ? -1 : pos + (int64_t)done, rwf);
		if (n < 0 && coop && errno == EOPNOTSUPP) {
			coop = false;            /* no RWF_NOWAIT here: just block */
			rwf &= ~RWF_NOWAIT;
			if (write)
				cur = saved;
			continue;
		}
		if (n < 0) {
			ret = -errno;
			epipe = ret == -EPIPE;
			break;
		}
		if (write && n > 0 && wmap)
			filemap_write_cached(wmap, written_at(f, pos, done, n), buf, (size_t)n);
		if (!write && (put = ucopy(t, &cur, buf, n, true)) < (size_t)n) {
			/* Give back what the guest could not take where the file
			 * allows it; from a pipe it is lost, as nothing can hold it. */
			if (pos < 0)
				lseek(f->host_fd, -(off_t)(n - put), SEEK_CUR);
			done += put;
			ret = -EFAULT;
			break;
		}
		done += n;
		if ((size_t)n < have || have < want || done >= total)
			break;
		if (!write) {
			if (regular < 0)
				regular = host_fd_is_regular(f->host_fd);
			if (!regular)
				break;
		}
	}
	free(buf);
	if (wmap && done)
		filemap_stamp(wmap);
	if (write && done && (f->flags & O_DIRECT))
		pagecache_invalidate(t, f->host_fd, 0, UINT64_MAX);
	if (write)
		sigpipe_restore(&hold, epipe);
	if (epipe)
		send_sigpipe(t);
	if (done)
		return (long)done;
	if (coop && ret == -EAGAIN)
		return sleep_on_host_fd(m, t, f->host_fd, POLLOUT);
	return restartable(ret);
}

/* Reads of kernel-generated contents (VFILE_BUFFER). */
static long buffer_read(struct task_struct *t, struct vfile *f, const struct useg *seg,
			unsigned long nseg, int64_t pos)
{
	uint64_t off = pos < 0 ? f->pos : (uint64_t)pos, total = segs_total(seg, nseg), n;
	struct ucursor cur = { seg, nseg, 0, 0 };

	if (off >= f->buf_len)
		return 0;
	n = f->buf_len - off < total ? f->buf_len - off : total;
	n = ucopy(t, &cur, f->buf + off, n, true);
	if (!n && total)
		return -EFAULT;
	if (pos < 0)
		f->pos = off + n;
	return (long)n;
}

/* /dev/random and /dev/urandom in a deterministic run: the machine's
 * seeded generator, as getrandom. */
static long random_read(machine_t *m, struct task_struct *t, const struct useg *seg,
			unsigned long nseg)
{
	uint64_t total = segs_total(seg, nseg), done = 0;
	struct ucursor cur = { seg, nseg, 0, 0 };
	char buf[256];

	if (total > 33554431)
		total = 33554431;        /* urandom_read's cap per call */
	while (done < total) {
		size_t n = total - done > sizeof(buf) ? sizeof(buf) : total - done, put;

		for (size_t i = 0; i < n; i += 8) {
			uint64_t r = machine_random(m);

			memcpy(buf + i, &r, n - i < 8 ? n - i : 8);
		}
		put = ucopy(t, &cur, buf, n, true);
		done += put;
		if (put < n)
			return done ? (long)done : -EFAULT;
	}
	return (long)done;
}

static void mark_random_dev(struct task_struct *t, int fd)
{
	struct vfile *f = fd_lookup(t->files, fd);
	struct stat st;

	if (f && f->kind == VFILE_HOST && !fstat(f->host_fd, &st) && S_ISCHR(st.st_mode) &&
	    major(st.st_rdev) == 1 && (minor(st.st_rdev) == 8 || minor(st.st_rdev) == 9))
		f->random_dev = true;
}

/* The access mode check Linux makes before looking at an iovec (the
 * access mode and O_PATH never change after open, so f->flags has them). */
static long check_rw_mode(struct vfile *f, bool write)
{
	int acc = f->flags & O_ACCMODE;

	if (f->flags & O_PATH)
		return -EBADF;
	if (write ? (acc != O_WRONLY && acc != O_RDWR) : (acc != O_RDONLY && acc != O_RDWR))
		return -EBADF;
	return 0;
}

/* Reads of regular files come through the page cache (guestmm/filemap.c),
 * at the host fd's offset when pos < 0. */
struct read_actor {
	struct task_struct *t;
	struct ucursor cur;
};

static size_t read_actor_copy(void *ctx, const void *src, size_t len)
{
	struct read_actor *ra = ctx;

	return ucopy(ra->t, &ra->cur, (char *)src, len, true);
}

static long cached_read(struct task_struct *t, struct vfile *f, const struct useg *seg,
			unsigned long nseg, int64_t pos)
{
	struct read_actor actor = { t, { seg, nseg, 0, 0 } };
	struct address_space *mapping;
	int64_t off = pos;
	int err = 0;
	struct file *file = vfile_mm_file(f, &err);
	long n;

	if (!file)
		return err;
	mapping = file_mapping(t->mm->node, file);
	if (!mapping)
		return -ENOMEM;
	if (off < 0 && (off = lseek(f->host_fd, 0, SEEK_CUR)) < 0)
		return -errno;
	n = filemap_read(mapping, &file->f_ra, (uint64_t)off, segs_total(seg, nseg),
			 read_actor_copy, &actor);
	if (n > 0 && pos < 0)
		lseek(f->host_fd, off + n, SEEK_SET);
	return n;
}

/* /proc/PID/pagemap: 8 bytes per virtual page, made as they are read, at
 * the descriptor's offset (kept in its memfd's offset) when pos < 0. */
static long pagemap_read(machine_t *m, struct task_struct *t, struct vfile *f,
			 const struct useg *seg, unsigned long nseg, int64_t pos)
{
	uint64_t total = segs_total(seg, nseg), done = 0, buf[512];
	struct ucursor cur = { seg, nseg, 0, 0 };
	int64_t off = pos;

	if (off < 0 && (off = lseek(f->host_fd, 0, SEEK_CUR)) < 0)
		return -errno;
	if ((off & 7) || (total & 7))
		return -EINVAL;
	while (done < total) {
		size_t want = (total - done) / 8 < 512 ? (total - done) / 8 : 512, put;
		long n = procfs_pagemap_read(m, t, f->path, (uint64_t)off + done, buf, want);

		if (n < 0)
			return done ? (long)done : n;
		if (n == 0)
			break;
		put = ucopy(t, &cur, (char *)buf, (size_t)n * 8, true);
		done += put;
		if (put < (size_t)n * 8) {
			if (!done)
				return -EFAULT;
			break;
		}
	}
	if (pos < 0)
		lseek(f->host_fd, off + (int64_t)done, SEEK_SET);
	return (long)done;
}

static long file_rw(machine_t *m, struct task_struct *t, struct vfile *f, const struct useg *seg,
		    unsigned long nseg, int64_t pos, int rwf, bool write)
{
	if (f->generated && !write && f->path && procfs_is_pagemap(f->path))
		return pagemap_read(m, t, f, seg, nseg, pos);
	/* The few writable generated files (/proc/PID/oom_score_adj) take
	 * what is written as a setting, as Linux's proc write handlers. */
	if (f->generated && write) {
		char kbuf[64];
		size_t n = 0;
		long r;

		for (unsigned long i = 0; i < nseg && n < sizeof(kbuf) - 1; i++) {
			size_t c = seg[i].len < sizeof(kbuf) - 1 - n ? seg[i].len : sizeof(kbuf) - 1 - n;

			if (c && copy_from_user(t->mm, kbuf + n, seg[i].base, c))
				return -EFAULT;
			n += c;
		}
		kbuf[n] = 0;
		r = procfs_write(m, t, f->path, kbuf, n);
		return r < 0 ? r : (long)segs_total(seg, nseg);
	}
	if (f->random_dev && !write && m->cfg.deterministic)
		return random_read(m, t, seg, nseg);
	if (f->kind == VFILE_BUFFER)
		return write ? -EINVAL : buffer_read(t, f, seg, nseg, pos);
	if (!write && vfile_page_cached(f)) {
		long r = check_rw_mode(f, false);

		return r < 0 ? r : cached_read(t, f, seg, nseg, pos);
	}
	return host_rw(m, t, f, seg, nseg, pos, rwf, write);
}

static long rw_one(machine_t *m, struct task_struct *t, uint64_t fd, uint64_t buf, uint64_t count,
		   int64_t pos, bool write)
{
	struct vfile *f = file_of(t, fd);
	struct useg s = { buf, count > (uint64_t)MAX_RW_COUNT ? (uint64_t)MAX_RW_COUNT : count };

	if (!f)
		return -EBADF;
	if ((int64_t)count < 0)
		return -EINVAL;
	return file_rw(m, t, f, &s, 1, pos, 0, write);
}

static long sys_read(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	return rw_one(m, t, a[0], a[1], a[2], -1, false);
}

static long sys_write(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	return rw_one(m, t, a[0], a[1], a[2], -1, true);
}

static long sys_pread64(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	if ((int64_t)a[3] < 0)
		return -EINVAL;
	return rw_one(m, t, a[0], a[1], a[2], (int64_t)a[3], false);
}

static long sys_pwrite64(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	if ((int64_t)a[3] < 0)
		return -EINVAL;
	return rw_one(m, t, a[0], a[1], a[2], (int64_t)a[3], true);
}

/* Reads a guest iovec array: the number of segments or -errno. Lengths are
 * capped so the total stays within MAX_RW_COUNT, as Linux does. */
static long import_iovec(struct task_struct *t, uint64_t uiov, uint64_t vlen, struct useg **out)
{
	struct useg *seg;
	uint64_t total = 0;

	*out = NULL;
	if (vlen > K_UIO_MAXIOV)
		return -EINVAL;
	if (!vlen)
		return 0;
	seg = malloc(vlen * sizeof(*seg));
	if (!seg)
		return -ENOMEM;
	if (copy_from_user(t->mm, seg, uiov, vlen * sizeof(*seg)) < 0) {
		free(seg);
		return -EFAULT;
	}
	for (uint64_t i = 0; i < vlen; i++) {
		if ((int64_t)seg[i].len < 0) {
			free(seg);
			return -EINVAL;
		}
		if (seg[i].len > (uint64_t)MAX_RW_COUNT - total)
			seg[i].len = (uint64_t)MAX_RW_COUNT - total;
		total += seg[i].len;
	}
	*out = seg;
	return (long)vlen;
}

static long rw_vec(machine_t *m, struct task_struct *t, uint64_t fd, uint64_t uiov, uint64_t vlen,
		   int64_t pos, int rwf, bool write)
{
	struct vfile *f = file_of(t, fd);
	struct useg *seg;
	long n, r;

	if (!f)
		return -EBADF;
	r = check_rw_mode(f, write);
	if (r < 0)
		return r;
	n = import_iovec(t, uiov, vlen, &seg);
	if (n < 0)
		return n;
	if (!segs_total(seg, n))
		r = 0;   /* Linux does not call the file at all */
	else
		r = file_rw(m, t, f, seg, n, pos, rwf, write);
	free(seg);
	return r;
}

static long sys_readv(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	return rw_vec(m, t, a[0], a[1], a[2], -1, 0, false);
}

static long sys_writev(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	return rw_vec(m, t, a[0], a[1], a[2], -1, 0, true);
}

/* On x86-64 the offset is a[3] whole (pos_h is shifted out). */
static long sys_preadv(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	if ((int64_t)a[3] < 0)
		return -EINVAL;
	return rw_vec(m, t, a[0], a[1], a[2], (int64_t)a[3], 0, false);
}

static long sys_pwritev(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	if ((int64_t)a[3] < 0)
		return -EINVAL;
	return rw_vec(m, t, a[0], a[1], a[2], (int64_t)a[3], 0, true);
}

/* preadv2/pwritev2: offset -1 means the file position; RWF_* flags are
 * the host's to validate. */
static long sys_preadv2(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	if ((int64_t)a[3] < -1)
		return -EINVAL;
	return rw_vec(m, t, a[0], a[1], a[2], (int64_t)a[3], (int)a[5], false);
}

static long sys_pwritev2(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	if ((int64_t)a[3] < -1)
		return -EINVAL;
	return rw_vec(m, t, a[0], a[1], a[2], (int64_t)a[3], (int)a[5], true);
}

static long sys_lseek(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	struct vfile *f = file_of(t, a[0]);
	unsigned int whence = (unsigned int)a[2];
	int64_t off = (int64_t)a[1], base;

	if (!f)
		return -EBADF;
	if (f->kind == VFILE_HOST)
		return host_err(lseek(f->host_fd, off, (int)whence));
	switch (whence) {
	case SEEK_SET: base = 0; break;
	case SEEK_CUR: base = (int64_t)f->pos; break;
	case SEEK_END: base = (int64_t)f->buf_len; break;
	default: return -EINVAL;
	}
	if ((off > 0 && base > INT64_MAX - off) || base + off < 0)
		return -EINVAL;
	f->pos = (uint64_t)(base + off);
	return (long)f->pos;
}

/* ------------------------------------------------------------------ */
/* open and close                                                      */

static long install_host_fd(machine_t *m, struct task_struct *t, int fd, int host_fd,
			    int flags, const char *fallback_path)
{
	char *gp = vfs_fd_guest_path(m, host_fd);
	struct vfile *f;

	/* What Linux keeps in f_flags: the creation-only flags go. */
	if (machine_inject(m, INJECT_ALLOC)) {
		close(host_fd);
		return -ENOMEM;
	}
	f = vfile_new(VFILE_HOST, host_fd, flags & ~(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC),
		      gp ? gp : fallback_path);
	free(gp);
	if (!f) {
		close(host_fd);
		return -ENOMEM;
	}
	return fd_install_at(t->files, fd, f, flags & O_CLOEXEC);
}

static long do_open(machine_t *m, struct task_struct *t, int dirfd, uint64_t upath,
		    int flags, unsigned int mode)
{
	char name[PATH_MAX], *p;
	bool creating;
	long r;
	int fd, hfd, err = 0;

	flags &= VALID_OPEN_FLAGS;
	if (flags & O_PATH)
		flags &= O_PATH_FLAGS;
	creating = (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE;
	mode = creating ? mode & 07777 & ~t->umask : 0;
	/* Linux's order: the name, then a free descriptor, then the walk. */
	r = get_path(t, upath, name);
	if (r < 0)
		return r;
	if (!r)
		return -ENOENT;
	fd = get_unused_fd(t->files, 0);
	if (fd < 0)
		return fd;
	p = vfs_guest_path(m, t, dirfd, name, &err);
	if (!p)
		return err;
	/* O_NOCTTY always: the terminal is vmemu's, and the guest does not
	 * get to make it vmemu's controlling terminal by accident. */
	hfd = vfs_lookup(m, t, p, (flags & O_PATH) ? flags : flags | O_NOCTTY, (int)mode, NULL);
	if (hfd < 0) {
		free(p);
		return restartable(hfd);
	}
	if (procfs_is_generated(p)) {
		/* A generated file: its guest name, and contents made again
		 * whenever it is read from the start, as Linux's seq_file. */
		struct vfile *f = vfile_new(VFILE_HOST, hfd, flags & ~(O_CREAT | O_EXCL | O_NOCTTY |
								     O_TRUNC), p);

		if (!f) {
			close(hfd);
			free(p);
			return -ENOMEM;
		}
		f->generated = true;
		free(p);
		return fd_install_at(t->files, fd, f, flags & O_CLOEXEC);
	}
	if (!(flags & O_PATH))
		pagecache_opened(t, hfd, flags & O_TRUNC);
	r = install_host_fd(m, t, fd, hfd, flags, p);
	free(p);
	if (r >= 0 && m->cfg.deterministic)
		mark_random_dev(t, (int)r);
	return r;
}

static long sys_open(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	return do_open(m, t, AT_FDCWD, a[0], (int)a[1], (unsigned int)a[2]);
}

static long sys_openat(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	return do_open(m, t, (int)a[0], a[1], (int)a[2], (unsigned int)a[3]);
}

static long sys_creat(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	return do_open(m, t, AT_FDCWD, a[0], O_CREAT | O_WRONLY | O_TRUNC, (unsigned int)a[1]);
}

static long sys_close(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	return fd_close(t->files, (int)a[0]);
}

static long sys_close_range(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	unsigned int first = (unsigned int)a[0], last = (unsigned int)a[1];
	unsigned int flags = (unsigned int)a[2];

	if (flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC))
		return -EINVAL;
	if (first > last)
		return -EINVAL;
	for (unsigned int fd = first; fd <= last && fd < NR_OPEN_DEFAULT; fd++) {
		if (!t->files->fd[fd])
			continue;
		if (flags & CLOSE_RANGE_CLOEXEC)
			t->files->cloexec[fd] = true;
		else
			fd_close(t->files, (int)fd);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* stat family                                                         */

/* Kernel-generated files look like procfs files: regular, empty, 0444. */
static void buffer_stat(struct vfile *f, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_mode = S_IFREG | ((f->flags & O_ACCMODE) == O_RDONLY ? 0444 : 0644);
	st->st_nlink = 1;
	st->st_uid = getuid();
	st->st_gid = getgid();
	st->st_blksize = 1024;
	clock_gettime(CLOCK_REALTIME, &st->st_mtim);
	st->st_atim = st->st_ctim = st->st_mtim;
}

static void link_stat(const struct vfs_link *l, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_mode = S_IFLNK | l->mode;
	st->st_nlink = 1;
	st->st_uid = getuid();
	st->st_gid = getgid();
	st->st_size = l->size;
	st->st_blksize = 1024;
	clock_gettime(CLOCK_REALTIME, &st->st_mtim);
	st->st_atim = st->st_ctim = st->st_mtim;
}

static void stat_to_statx(const struct stat *st, struct statx *sx)
{
	memset(sx, 0, sizeof(*sx));
	sx->stx_mask = STATX_BASIC_STATS;
	sx->stx_blksize = (uint32_t)st->st_blksize;
	sx->stx_nlink = (uint32_t)st->st_nlink;
	sx->stx_uid = st->st_uid;
	sx->stx_gid = st->st_gid;
	sx->stx_mode = (uint16_t)st->st_mode;
	sx->stx_ino = st->st_ino;
	sx->stx_size = (uint64_t)st->st_size;
	sx->stx_blocks = (uint64_t)st->st_blocks;
	sx->stx_atime.tv_sec = st->st_atim.tv_sec;
	sx->stx_atime.tv_nsec = (uint32_t)st->st_atim.tv_nsec;
	sx->stx_mtime.tv_sec = st->st_mtim.tv_sec;
	sx->stx_mtime.tv_nsec = (uint32_t)st->st_mtim.tv_nsec;
	sx->stx_ctime.tv_sec = st->st_ctim.tv_sec;
	sx->stx_ctime.tv_nsec = (uint32_t)st->st_ctim.tv_nsec;
	sx->stx_dev_major = major(st->st_dev);
	sx->stx_dev_minor = minor(st->st_dev);
	sx->stx_rdev_major = major(st->st_rdev);
	sx->stx_rdev_minor = minor(st->st_rdev);
}

static long put_stat(struct task_struct *t, uint64_t ubuf, const struct stat *st)
{
	return copy_to_user(t->mm, ubuf, st, sizeof(*st));
}

static long do_fstatat(machine_t *m, struct task_struct *t, int dirfd, uint64_t upath,
		       uint64_t ubuf, int flags)
{
	struct at_target tg;
	struct stat st;
	long r;

	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH))
		return -EINVAL;
	r = at_resolve(m, t, dirfd, upath, flags, 0, &tg);
	if (r < 0)
		return r;
	if (tg.buffer)
		buffer_stat(tg.buffer, &st);
	else if (tg.link.target)
		link_stat(&tg.link, &st);
	else
		r = host_err(fstatat(tg.host_fd, "", &st, AT_EMPTY_PATH));
	at_release(&tg);
	if (r < 0)
		return r;
	return put_stat(t, ubuf, &st);
}

static long sys_stat(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	return do_fstatat(m, t, AT_FDCWD, a[0], a[1], 0);
}

static long sys_lstat(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	return do_fstatat(m, t, AT_FDCWD, a[0], a[1], AT_SYMLINK_NOFOLLOW);
}

static long sys_newfstatat(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	return do_fstatat(m, t, (int)a[0], a[1], a[2], (int)a[3]);
}

static long sys_fstat(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	struct vfile *f = file_of(t, a[0]);
	struct stat st;

	if (!f)
		return -EBADF;
	if (f->kind == VFILE_BUFFER)
		buffer_stat(f, &st);
	else if (fstat(f->host_fd, &st) < 0)
		return -errno;
	return put_stat(t, a[1], &st);
}

static long sys_statx(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	int dirfd = (int)a[0], flags = (int)a[2];
	unsigned int mask = (unsigned int)a[3];
	struct at_target tg;
	struct statx sx;
	struct stat st;
	long r;

	if ((flags & AT_STATX_SYNC_TYPE) == AT_STATX_SYNC_TYPE)
		return -EINVAL;
	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH | AT_STATX_SYNC_TYPE))
		return -EINVAL;
	if (mask & STATX__RESERVED)
		return -EINVAL;
	r = at_resolve(m, t, dirfd, a[1], flags, 0, &tg);
	if (r < 0)
		return r;
	if (tg.buffer) {
		buffer_stat(tg.buffer, &st);
		stat_to_statx(&st, &sx);
	} else if (tg.link.target) {
		link_stat(&tg.link, &st);
		stat_to_statx(&st, &sx);
	} else {
		r = host_err(statx(tg.host_fd, "", AT_EMPTY_PATH | (flags & AT_STATX_SYNC_TYPE),
				   mask, &sx));
	}
	at_release(&tg);
	if (r < 0)
		return r;
	return copy_to_user(t->mm, a[4], &sx, sizeof(sx));
}

static long do_faccessat(machine_t *m, struct task_struct *t, int dirfd, uint64_t upath,
			 int mode, int flags)
{
	struct at_target tg;
	long r;

	if (mode & ~S_IRWXO)
		return -EINVAL;
	if (flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	r = at_resolve(m, t, dirfd, upath, flags, 0, &tg);
	if (r < 0)
		return r;
	if (tg.buffer)
		r = (mode & (W_OK | X_OK)) ? -EACCES : 0;
	else if (tg.link.target)
		r = 0;       /* a symlink's own permissions are never checked */
	else
		r = host_err(syscall(SYS_faccessat2, tg.host_fd, "", mode,
				     AT_EMPTY_PATH | (flags & AT_EACCESS)));
	at_release(&tg);
	return r;
}

static long sys_access(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	return do_faccessat(m, t, AT_FDCWD, a[0], (int)a[1], 0);
}

static long sys_faccessat(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	return do_faccessat(m, t, (int)a[0], a[1], (int)a[2], 0);
}

static long sys_faccessat2(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	return do_faccessat(m, t, (int)a[0], a[1], (int)a[2], (int)a[3]);
}

static long sys_statfs(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	struct at_target tg;
	struct statfs sfs;
	long r;

	r = at_resolve(m, t, AT_FDCWD, a[0], 0, 0, &tg);
	if (r < 0)
		return r;
	r = host_err(fstatfs(tg.host_fd, &sfs));
	at_release(&tg);
	if (r < 0)
		return r;
	return copy_to_user(t->mm, a[1], &sfs, sizeof(sfs));
}

static long sys_fstatfs(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	struct vfile *f = file_of(t, a[0]);
	struct statfs sfs;

	if (!f)
		return -EBADF;
	if (f->kind != VFILE_HOST) {
		memset(&sfs, 0, sizeof(sfs));
		sfs.f_type = 0x9fa0;     /* PROC_SUPER_MAGIC: generated files are /proc's */
		sfs.f_bsize = sfs.f_frsize = 4096;
		sfs.f_namelen = 255;
	} else if (fstatfs(f->host_fd, &sfs) < 0) {
		return -errno;
	}
	return copy_to_user(t->mm, a[1], &sfs, sizeof(sfs));
}

/* ------------------------------------------------------------------ */
/* directories                                                         */

static long sys_getdents64(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	struct vfile *f = file_of(t, a[0]);
	unsigned int count = (unsigned int)a[2];
	size_t len = count < DIRENT_CHUNK ? count : DIRENT_CHUNK;
	off_t where;
	char *buf;
	long n;

	if (!f)
		return -EBADF;
	if (f->kind != VFILE_HOST)
		return -ENOTDIR;
	buf = malloc(len ? len : 1);
	if (!buf)
		return -ENOMEM;
	where = lseek(f->host_fd, 0, SEEK_CUR);
	n = host_err(syscall(SYS_getdents64, f->host_fd, buf, len));
	if (n > 0 && copy_to_user(t->mm, a[1], buf, (size_t)n) < 0) {
		/* Linux stops before consuming entries it could not copy. */
		if (where >= 0)
			lseek(f->host_fd, where, SEEK_SET);
		n = -EFAULT;
	}
	free(buf);
	return n;
}

static long sys_getcwd(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	size_t len = strlen(t->cwd) + 1;

	if (len > a[1])
		return -ERANGE;
	if (copy_to_user(t->mm, a[0], t->cwd, len) < 0)
		return -EFAULT;
	return (long)len;
}

/* Makes the directory behind host fd the cwd, after Linux's checks. */
static long set_cwd(machine_t *m, struct task_struct *t, int host_fd, const char *fallback)
{
	struct stat st;
	char *p;

	if (fstat(host_fd, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	if (syscall(SYS_faccessat2, host_fd, "", X_OK, AT_EMPTY_PATH | AT_EACCESS) < 0)
		return -errno;
	p = vfs_fd_guest_path(m, host_fd);
	if (!p || p[0] != '/') {
		free(p);
		p = fallback ? strdup(fallback) : NULL;
	}
	if (!p)
		return -ENOMEM;
	free(t->cwd);
	t->cwd = p;
	return 0;
}

static long sys_chdir(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	struct at_target tg;
	long r = at_resolve(m, t, AT_FDCWD, a[0], 0, O_DIRECTORY, &tg);

	if (r < 0)
		return r;
	r = set_cwd(m, t, tg.host_fd, NULL);
	at_release(&tg);
	return r;
}

static long sys_fchdir(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	struct vfile *f = file_of(t, a[0]);

	if (!f)
		return -EBADF;
	if (f->kind != VFILE_HOST)
		return -ENOTDIR;
	return set_cwd(m, t, f->host_fd, f->path);
}

/* ------------------------------------------------------------------ */
/* names in directories: mkdir, mknod, unlink, rmdir, rename, link...  */

/* The parent directory (host fd, owned) and last component of (dirfd,
 * upath); *abs receives the guest path (malloc'd) to keep *base alive. */
static long at_parent(machine_t *m, struct task_struct *t, int dirfd, uint64_t upath,
		      char **abs, const char **base)
{
	long r = at_path(m, t, dirfd, upath, false, abs);

	if (r < 0)
		return r;
	r = vfs_lookup_parent(m, t, *abs, base);
	if (r < 0) {
		free(*abs);
		*abs = NULL;
	}
	return r;
}

static bool is_root_path(const char *p)
{
	while (*p == '/')
		p++;
	return !*p;
}

/* --read-only, as a read-only mount: EROFS for a change to a name; a name
 * to create that exists gives EEXIST first, as Linux's filename_create
 * looks before it asks for write access (unlink and rename ask first). */
static long rofs_name(machine_t *m, int pfd, const char *base, bool creating)
{
	struct stat st;

	if (!m->cfg.read_only)
		return 0;
	if (creating && fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return -EEXIST;
	return -EROFS;
}

/* --read-only: EROFS for changing a file's data or attributes; device
 * nodes, pipes and sockets are not the file system's to refuse. */
static long rofs_fd(machine_t *m, int host_fd)
{
	struct stat st;

	if (!m->cfg.read_only || fstat(host_fd, &st) < 0)
		return 0;
	return S_ISREG(st.st_mode) || S_ISDIR(st.st_mode) || S_ISLNK(st.st_mode) ? -EROFS : 0;
}

static long do_mkdirat(machine_t *m, struct task_struct *t, int dirfd, uint64_t upath,
		       unsigned int mode)
{
	const char *base;
	char *abs;
	long pfd = at_parent(m, t, dirfd, upath, &abs, &base);
	long r;

	if (pfd < 0)
		return pfd;
	r = rofs_name(m, (int)pfd, base, true);
	if (!r)
		r = host_err(mkdirat((int)pfd, base, mode & 01777 & ~t->umask));
	close((int)pfd);
	free(abs);
	return r;
}

static long sys_mkdir(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	return do_mkdirat(m, t, AT_FDCWD, a[0], (unsigned int)a[1]);
}

static long sys_mkdirat(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	return do_mkdirat(m, t, (int)a[0], a[1], (unsigned int)a[2]);
}

static long do_mknodat(machine_t *m, struct task_struct *t, int dirfd, uint64_t upath,
		       unsigned int mode, unsigned int dev)
{
	const char *base;
	char *abs;
	long pfd = at_parent(m, t, dirfd, upath, &abs, &base);
	long r;

	if (pfd < 0)
		return pfd;
	mode = (mode & S_IFMT) | (mode & 07777 & ~t->umask);
	r = rofs_name(m, (int)pfd, base, true);
	if (!r)
		r = host_err(syscall(SYS_mknodat, (int)pfd, base, mode, dev));
	close((int)pfd);
	free(abs);
	return r;
}

static long sys_mknod(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	return do_mknodat(m, t, AT_FDCWD, a[0], (unsigned int)a[1], (unsigned int)a[2]);
}

static long sys_mknodat(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	return do_mknodat(m, t, (int)a[0], a[1], (unsigned int)a[2], (unsigned int)a[3]);
}

static long do_unlinkat(machine_t *m, struct task_struct *t, int dirfd, uint64_t upath, int flags)
{
	const char *base;
	char *abs;
	long pfd, r;

	if (flags & ~AT_REMOVEDIR)
		return -EINVAL;
	pfd = at_parent(m, t, dirfd, upath, &abs, &base);
	if (pfd < 0)
		return pfd;
	/* rmdir("/") is EBUSY on Linux; the host's "." would say EINVAL. */
	if ((flags & AT_REMOVEDIR) && is_root_path(abs))
		r = -EBUSY;
	else if (!(r = rofs_name(m, (int)pfd, base, false)))
		r = host_err(unlinkat((int)pfd, base, flags));
	close((int)pfd);
	free(abs);
	return r;
}

static long sys_unlink(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	return do_unlinkat(m, t, AT_FDCWD, a[0], 0);
}

static long sys_rmdir(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	return do_unlinkat(m, t, AT_FDCWD, a[0], AT_REMOVEDIR);
}

static long sys_unlinkat(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	return do_unlinkat(m, t, (int)a[0], a[1], (int)a[2]);
}

static long do_renameat2(machine_t *m, struct task_struct *t, int olddfd, uint64_t oldp,
			 int newdfd, uint64_t newp, unsigned int flags)
{
	const char *obase, *nbase;
	char *oabs, *nabs;
	long opfd, npfd, r;

	if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT))
		return -EINVAL;
	if ((flags & (RENAME_NOREPLACE | RENAME_WHITEOUT)) && (flags & RENAME_EXCHANGE))
		return -EINVAL;
	opfd = at_parent(m, t, olddfd, oldp, &oabs, &obase);
	if (opfd < 0)
		return opfd;
	npfd = at_parent(m, t, newdfd, newp, &nabs, &nbase);
	if (npfd < 0) {
		close((int)opfd);
		free(oabs);
		return npfd;
	}
	r = rofs_name(m, (int)opfd, obase, false);
	if (!r)
		r = host_err(renameat2((int)opfd, obase, (int)npfd, nbase, flags));
	close((int)opfd);
	close((int)npfd);
	free(oabs);
	free(nabs);
	return r;
}

static long sys_rename(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	return do_renameat2(m, t, AT_FDCWD, a[0], AT_FDCWD, a[1], 0);
}

static long sys_renameat(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	return do_renameat2(m, t, (int)a[0], a[1], (int)a[2], a[3], 0);
}

static long sys_renameat2(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	return do_renameat2(m, t, (int)a[0], a[1], (int)a[2], a[3], (unsigned int)a[4]);
}

static long do_readlinkat(machine_t *m, struct task_struct *t, int dirfd, uint64_t upath,
			  uint64_t ubuf, int bufsiz)
{
	struct at_target tg;
	char *buf = NULL, first;
	long r, n;

	if (bufsiz <= 0)
		return -EINVAL;
	if (copy_from_user(t->mm, &first, upath, 1) < 0)
		return -EFAULT;
	/* readlinkat always accepts an empty path (the dirfd itself). */
	r = at_resolve(m, t, dirfd, upath, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH, 0, &tg);
	if (r < 0)
		return r;
	if (tg.link.target) {
		n = (long)strlen(tg.link.target);
		if (n > bufsiz)
			n = bufsiz;
		r = copy_to_user(t->mm, ubuf, tg.link.target, (size_t)n) < 0 ? -EFAULT : n;
	} else if (tg.buffer) {
		r = -EINVAL;
	} else {
		size_t len = bufsiz < PATH_MAX ? (size_t)bufsiz : PATH_MAX;
		struct stat st;

		buf = malloc(len);
		if (!buf) {
			r = -ENOMEM;
		} else {
			n = readlinkat(tg.host_fd, "", buf, len);
			if (n >= 0)
				r = copy_to_user(t->mm, ubuf, buf, (size_t)n) < 0 ? -EFAULT : n;
			else if (errno == ENOENT && first && fstat(tg.host_fd, &st) == 0)
				/* For a non-link, Linux says EINVAL when it was
				 * named by a path and ENOENT for an empty path; the
				 * host, asked through the O_PATH fd, says ENOENT. */
				r = -EINVAL;
			else
				r = -errno;
		}
	}
	free(buf);
	at_release(&tg);
	return r;
}

static long sys_readlink(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	return do_readlinkat(m, t, AT_FDCWD, a[0], a[1], (int)a[2]);
}

static long sys_readlinkat(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	return do_readlinkat(m, t, (int)a[0], a[1], a[2], (int)a[3]);
}

static long do_symlinkat(machine_t *m, struct task_struct *t, uint64_t utarget, int dirfd,
			 uint64_t upath)
{
	char target[PATH_MAX];
	const char *base;
	char *abs;
	long n = get_path(t, utarget, target), pfd, r;

	if (n < 0)
		return n;
	pfd = at_parent(m, t, dirfd, upath, &abs, &base);
	if (pfd < 0)
		return pfd;
	r = rofs_name(m, (int)pfd, base, true);
	if (!r)
		r = host_err(symlinkat(target, (int)pfd, base));
	close((int)pfd);
	free(abs);
	return r;
}

static long sys_symlink(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	return do_symlinkat(m, t, a[0], AT_FDCWD, a[1]);
}

static long sys_symlinkat(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	return do_symlinkat(m, t, a[0], (int)a[1], a[2]);
}

/* The old name is resolved to an O_PATH fd (the symlink itself unless
 * AT_SYMLINK_FOLLOW) and linked through the host's /proc/self/fd/N with
 * AT_SYMLINK_FOLLOW, which links exactly that inode: no second look-up
 * that could leave the root. */
static long do_linkat(machine_t *m, struct task_struct *t, int olddfd, uint64_t oldp,
		      int newdfd, uint64_t newp, int flags)
{
	struct at_target tg;
	const char *nbase;
	char *nabs, proc[40];
	long r, npfd;
	char oldbuf[PATH_MAX];
	long on;

	if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	on = get_path(t, oldp, oldbuf);
	if (on < 0)
		return on;
	r = at_resolve(m, t, olddfd, oldp,
		       ((flags & AT_SYMLINK_FOLLOW) ? 0 : AT_SYMLINK_NOFOLLOW) | (flags & AT_EMPTY_PATH),
		       0, &tg);
	if (r < 0)
		return r;
	if (tg.buffer || tg.link.target) {
		at_release(&tg);
		return -EXDEV;   /* /proc's files live on another file system */
	}
	npfd = at_parent(m, t, newdfd, newp, &nabs, &nbase);
	if (npfd < 0) {
		at_release(&tg);
		return npfd;
	}
	if ((r = rofs_name(m, (int)npfd, nbase, true))) {
		;
	} else if (on == 0) {
		/* AT_EMPTY_PATH: the host decides (CAP_DAC_READ_SEARCH). */
		r = host_err(linkat(tg.host_fd, "", (int)npfd, nbase, AT_EMPTY_PATH));
	} else {
		host_fd_path(proc, sizeof(proc), tg.host_fd);
		r = host_err(linkat(AT_FDCWD, proc, (int)npfd, nbase, AT_SYMLINK_FOLLOW));
	}
	close((int)npfd);
	free(nabs);
	at_release(&tg);
	return r;
}

static long sys_link(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	return do_linkat(m, t, AT_FDCWD, a[0], AT_FDCWD, a[1], 0);
}

static long sys_linkat(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	return do_linkat(m, t, (int)a[0], a[1], (int)a[2], a[3], (int)a[4]);
}

/* ------------------------------------------------------------------ */
/* attributes: chmod, chown, utimes, truncate                          */

static long do_fchmodat(machine_t *m, struct task_struct *t, int dirfd, uint64_t upath,
			unsigned int mode, int flags)
{
	struct at_target tg;
	char proc[40];
	long r;

	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	r = at_resolve(m, t, dirfd, upath, flags, 0, &tg);
	if (r < 0)
		return r;
	if (tg.buffer) {
		r = -EPERM;
	} else if (tg.link.target) {
		r = -EOPNOTSUPP;     /* symlink modes cannot change */
	} else if (!(r = rofs_fd(m, tg.host_fd))) {
		r = host_err(syscall(SYS_fchmodat2, tg.host_fd, "", mode, AT_EMPTY_PATH));
		if (r == -ENOSYS) {  /* hosts before 6.6 */
			host_fd_path(proc, sizeof(proc), tg.host_fd);
			r = host_err(chmod(proc, mode));
		}
	}
	at_release(&tg);
	return r;
}

static long sys_chmod(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	return do_fchmodat(m, t, AT_FDCWD, a[0], (unsigned int)a[1], 0);
}

static long sys_fchmodat(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	return do_fchmodat(m, t, (int)a[0], a[1], (unsigned int)a[2], 0);
}

static long sys_fchmodat2(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	return do_fchmodat(m, t, (int)a[0], a[1], (unsigned int)a[2], (int)a[3]);
}

static long sys_fchmod(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	struct vfile *f = file_of(t, a[0]);

	if (!f)
		return -EBADF;
	if (f->kind != VFILE_HOST)
		return -EPERM;
	if (rofs_fd(m, f->host_fd))
		return -EROFS;
	return host_err(fchmod(f->host_fd, (mode_t)a[1]));
}

static long do_fchownat(machine_t *m, struct task_struct *t, int dirfd, uint64_t upath,
			uint32_t uid, uint32_t gid, int flags)
{
	struct at_target tg;
	long r;

	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	r = at_resolve(m, t, dirfd, upath, flags, 0, &tg);
	if (r < 0)
		return r;
	if (tg.buffer || tg.link.target)
		r = -EPERM;
	else if (!(r = rofs_fd(m, tg.host_fd)))
		r = host_err(fchownat(tg.host_fd, "", uid, gid, AT_EMPTY_PATH));
	at_release(&tg);
	return r;
}

static long sys_chown(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	return do_fchownat(m, t, AT_FDCWD, a[0], (uint32_t)a[1], (uint32_t)a[2], 0);
}

static long sys_lchown(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	return do_fchownat(m, t, AT_FDCWD, a[0], (uint32_t)a[1], (uint32_t)a[2],
			   AT_SYMLINK_NOFOLLOW);
}

static long sys_fchownat(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	return do_fchownat(m, t, (int)a[0], a[1], (uint32_t)a[2], (uint32_t)a[3], (int)a[4]);
}

static long sys_fchown(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	struct vfile *f = file_of(t, a[0]);

	if (!f)
		return -EBADF;
	if (f->kind != VFILE_HOST)
		return -EPERM;
	if (rofs_fd(m, f->host_fd))
		return -EROFS;
	return host_err(fchown(f->host_fd, (uint32_t)a[1], (uint32_t)a[2]));
}

static bool nsec_valid(long nsec)
{
	return (nsec >= 0 && nsec <= 999999999) || nsec == UTIME_NOW || nsec == UTIME_OMIT;
}

/* Linux's do_utimes: times NULL means now; a NULL path with a real dirfd
 * means the open file itself. */
static long do_utimes(machine_t *m, struct task_struct *t, int dirfd, uint64_t upath,
		      const struct timespec *ts, int flags)
{
	struct at_target tg;
	long r;

	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	if (ts) {
		if (!nsec_valid(ts[0].tv_nsec) || !nsec_valid(ts[1].tv_nsec))
			return -EINVAL;
		if (ts[0].tv_nsec == UTIME_OMIT && ts[1].tv_nsec == UTIME_OMIT)
			return 0;
	}
	if (!upath && dirfd != AT_FDCWD) {
		struct vfile *f;

		if (flags & AT_SYMLINK_NOFOLLOW)
			return -EINVAL;
		f = file_of(t, dirfd);
		if (!f)
			return -EBADF;
		if (f->kind != VFILE_HOST)
			return -EPERM;
		if (rofs_fd(m, f->host_fd))
			return -EROFS;
		return host_err(futimens(f->host_fd, ts));
	}
	r = at_resolve(m, t, dirfd, upath, flags, 0, &tg);
	if (r < 0)
		return r;
	if (tg.buffer || tg.link.target)
		r = -EPERM;
	else if (!(r = rofs_fd(m, tg.host_fd)))
		r = host_err(utimensat(tg.host_fd, "", ts, AT_EMPTY_PATH));
	at_release(&tg);
	return r;
}

static long sys_utimensat(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	struct timespec ts[2];

	if (a[2] && copy_from_user(t->mm, ts, a[2], sizeof(ts)) < 0)
		return -EFAULT;
	return do_utimes(m, t, (int)a[0], a[1], a[2] ? ts : NULL, (int)a[3]);
}

static long sys_utimes(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	struct timeval tv[2];
	struct timespec ts[2];

	if (a[1]) {
		if (copy_from_user(t->mm, tv, a[1], sizeof(tv)) < 0)
			return -EFAULT;
		for (int i = 0; i < 2; i++) {
			if (tv[i].tv_usec < 0 || tv[i].tv_usec >= 1000000)
				return -EINVAL;
			ts[i].tv_sec = tv[i].tv_sec;
			ts[i].tv_nsec = tv[i].tv_usec * 1000;
		}
	}
	return do_utimes(m, t, AT_FDCWD, a[0], a[1] ? ts : NULL, 0);
}

static long sys_utime(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	int64_t ut[2];             /* struct utimbuf: actime, modtime */
	struct timespec ts[2];

	if (a[1]) {
		if (copy_from_user(t->mm, ut, a[1], sizeof(ut)) < 0)
			return -EFAULT;
		ts[0] = (struct timespec){ .tv_sec = ut[0] };
		ts[1] = (struct timespec){ .tv_sec = ut[1] };
	}
	return do_utimes(m, t, AT_FDCWD, a[0], a[1] ? ts : NULL, 0);
}

static long sys_truncate(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	struct at_target tg;
	char proc[40];
	long r;

	if ((int64_t)a[1] < 0)
		return -EINVAL;
	r = at_resolve(m, t, AT_FDCWD, a[0], 0, 0, &tg);
	if (r < 0)
		return r;
	if (tg.buffer) {
		r = -EACCES;
	} else {
		host_fd_path(proc, sizeof(proc), tg.host_fd);
		r = rofs_fd(m, tg.host_fd);
		if (!r)
			r = restartable(host_err(truncate(proc, (off_t)a[1])));
		if (r == 0)
			pagecache_truncated(t, tg.host_fd);
	}
	at_release(&tg);
	return r;
}

static long sys_ftruncate(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	struct vfile *f;

	if ((int64_t)a[1] < 0)
		return -EINVAL;
	f = file_of(t, a[0]);
	if (!f)
		return -EBADF;
	if (f->kind != VFILE_HOST)
		return -EINVAL;
	if (ftruncate(f->host_fd, (off_t)a[1]) < 0)
		return restartable(-errno);
	pagecache_truncated(t, f->host_fd);
	return 0;
}

/* ------------------------------------------------------------------ */
/* data integrity and advice                                           */

/* The host fd behind guest fd `fd`, or -1 for a file with no host fd
 * (*f is NULL when fd is not open at all). */
static int host_fd_of(struct task_struct *t, uint64_t fd, struct vfile **f)
{
	*f = file_of(t, fd);
	if (!*f)
		return -EBADF;
	return (*f)->kind == VFILE_HOST ? (*f)->host_fd : -1;
}

/* fsync and fdatasync: EBADF for a closed fd, EINVAL for one that cannot
 * be synced; else the guest's dirty pages are written back (what mappings
 * stored; write() wrote through already) and the host makes it durable. */
static long do_fsync(machine_t *m, struct task_struct *t, uint64_t fd, bool datasync)
{
	struct vfile *f;
	int hfd = host_fd_of(t, fd, &f);
	int err;

	if (!f)
		return -EBADF;
	if (hfd < 0)
		return -EINVAL;
	err = pagecache_writeback(t, hfd, 0, UINT64_MAX);
	if (err < 0)
		return err;
	if ((err = machine_inject(m, INJECT_FSYNC)))
		return err;
	return host_err(datasync ? fdatasync(hfd) : fsync(hfd));
}

static long sys_fsync(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	return do_fsync(m, t, a[0], false);
}

static long sys_fdatasync(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	return do_fsync(m, t, a[0], true);
}

static long sys_sync(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	pagecache_sync_all(t);
	sync();
	return 0;
}

static long sys_syncfs(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	struct vfile *f;
	int hfd = host_fd_of(t, a[0], &f);

	if (!f)
		return -EBADF;
	if (hfd < 0)
		return 0;
	pagecache_sync_all(t);
	return host_err(syncfs(hfd));
}

static long sys_sync_file_range(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	struct vfile *f;
	int hfd = host_fd_of(t, a[0], &f);
	long r;

	if (!f)
		return -EBADF;
	if (hfd < 0)
		return -ESPIPE;
	r = host_err(syscall(SYS_sync_file_range, hfd, (int64_t)a[1], (int64_t)a[2],
			     (unsigned int)a[3]));
	/* Valid arguments (the host said so): write the range back first
	 * when asked to write, nbytes 0 meaning to the end of the file. */
	if (r == 0 && (a[3] & SYNC_FILE_RANGE_WRITE)) {
		uint64_t start = a[1], n = a[2];
		int err = pagecache_writeback(t, hfd, start,
					      n == 0 || n > UINT64_MAX - start ? UINT64_MAX
									     : start + n - 1);

		if (err < 0)
			return err;
		if (a[3] & SYNC_FILE_RANGE_WAIT_AFTER)
			r = host_err(syscall(SYS_sync_file_range, hfd, (int64_t)a[1],
					     (int64_t)a[2], (unsigned int)a[3]));
	}
	return r;
}

static long sys_fadvise64(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	struct vfile *f;
	int hfd = host_fd_of(t, a[0], &f);
	long r;

	if (!f)
		return -EBADF;
	if (hfd < 0)
		return 0;
	/* The host validates the advice (EINVAL, ESPIPE); the guest's page
	 * cache then takes it as Linux's does. */
	r = host_err(syscall(SYS_fadvise64, hfd, (int64_t)a[1], (int64_t)a[2], (int)a[3]));
	if (r == 0)
		pagecache_fadvise(t, f, (int64_t)a[1], (int64_t)a[2], (int)a[3]);
	return r;
}

static long sys_fallocate(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	struct vfile *f;
	int hfd = host_fd_of(t, a[0], &f);

	if (!f)
		return -EBADF;
	long r;

	if (hfd < 0)
		return -EOPNOTSUPP;
	/* Modes that change data in place go around the cache: what it
	 * holds of the file is written back first and dropped after. */
	if (a[1] & ~(uint64_t)FALLOC_FL_KEEP_SIZE)
		pagecache_flush(t, hfd);
	r = restartable(host_err(fallocate(hfd, (int)a[1], (off_t)a[2], (off_t)a[3])));
	if (r == 0 && (a[1] & ~(uint64_t)FALLOC_FL_KEEP_SIZE))
		pagecache_invalidate(t, hfd, (uint64_t)a[2], UINT64_MAX);
	if (r == 0)
		pagecache_truncated(t, hfd);
	return r;
}

/* flock locks belong to the open file description on the host as on
 * Linux, so they work between guest processes with separate opens. */
static long sys_flock(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	struct vfile *f;
	int hfd = host_fd_of(t, a[0], &f);

	if (!f)
		return -EBADF;
	if (hfd < 0)
		return -EINVAL;
	return restartable(host_err(flock(hfd, (int)a[1])));
}

/* ------------------------------------------------------------------ */
/* descriptors: dup, fcntl, ioctl, pipe, umask                         */

static long sys_dup(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	struct vfile *f = file_of(t, a[0]);
	int fd;

	if (!f)
		return -EBADF;
	fd = fd_install(t->files, 0, vfile_get(f), false);
	if (fd < 0)
		vfile_put(f);
	return fd;
}

static long do_dup3(struct task_struct *t, unsigned int oldfd, unsigned int newfd, int flags)
{
	struct vfile *f;

	if (flags & ~O_CLOEXEC)
		return -EINVAL;
	if (oldfd == newfd)
		return -EINVAL;
	if (newfd >= (unsigned int)files_limit(t->files))
		return -EBADF;
	f = fd_lookup(t->files, (int)oldfd);
	if (!f || oldfd >= NR_OPEN_DEFAULT)
		return -EBADF;
	return fd_install_at(t->files, (int)newfd, vfile_get(f), flags & O_CLOEXEC);
}

static long sys_dup2(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	unsigned int oldfd = (unsigned int)a[0], newfd = (unsigned int)a[1];

	if (oldfd == newfd)
		return fd_lookup(t->files, (int)oldfd) && oldfd < NR_OPEN_DEFAULT ? (long)newfd : -EBADF;
	return do_dup3(t, oldfd, newfd, 0);
}

static long sys_dup3(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	return do_dup3(t, (unsigned int)a[0], (unsigned int)a[1], (int)a[2]);
}

/* POSIX record locks pass through. They belong to the host process, which
 * is all of vmemu: guest processes never conflict with each other through
 * them (the OFD variants F_OFD_* do work between guest processes). */
static long fcntl_lock(struct task_struct *t, int hfd, int cmd, uint64_t uflock)
{
	struct flock fl;
	long r;

	if (copy_from_user(t->mm, &fl, uflock, sizeof(fl)) < 0)
		return -EFAULT;
	r = host_err(fcntl(hfd, cmd, &fl));
	if (r < 0)
		return restartable(r);
	if ((cmd == F_GETLK || cmd == F_OFD_GETLK) &&
	    copy_to_user(t->mm, uflock, &fl, sizeof(fl)) < 0)
		return -EFAULT;
	return r;
}

/* F_SETFL may change these; O_ASYNC is left out (the host would signal
 * vmemu, not the guest). */
#define SETFL_MASK (O_APPEND | O_NONBLOCK | O_DIRECT | O_NOATIME)

static long sys_fcntl(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	int fd = (int)a[0], cmd = (int)a[1];
	struct vfile *f = file_of(t, a[0]);
	long r;

	if (!f)
		return -EBADF;
	switch (cmd) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC: {
		unsigned int from = (unsigned int)(int)a[2];

		if (from >= (unsigned int)files_limit(t->files))
			return -EINVAL;
		r = fd_install(t->files, (int)from, vfile_get(f), cmd == F_DUPFD_CLOEXEC);
		if (r < 0)
			vfile_put(f);
		return r;
	}
	case F_GETFD:
		return t->files->cloexec[fd] ? FD_CLOEXEC : 0;
	case F_SETFD:
		t->files->cloexec[fd] = a[2] & FD_CLOEXEC;
		return 0;
	case F_GETFL:
		if (f->kind != VFILE_HOST)
			return f->flags & ~O_CLOEXEC;
		return host_err(fcntl(f->host_fd, F_GETFL));
	case F_SETFL:
		if (f->kind != VFILE_HOST) {
			f->flags = (f->flags & ~SETFL_MASK) | ((int)a[2] & SETFL_MASK);
			return 0;
		}
		r = host_err(fcntl(f->host_fd, F_SETFL, (int)a[2] & SETFL_MASK));
		if (r == 0)
			f->flags = (f->flags & ~(SETFL_MASK | O_ASYNC)) | ((int)a[2] & SETFL_MASK);
		return r;
	case F_GETLK:
	case F_SETLK:
	case F_SETLKW:
	case F_OFD_GETLK:
	case F_OFD_SETLK:
	case F_OFD_SETLKW:
		if (f->kind != VFILE_HOST)
			return -EINVAL;
		return fcntl_lock(t, f->host_fd, cmd, a[2]);
	case F_GETPIPE_SZ:
	case F_SETPIPE_SZ:
		if (f->kind != VFILE_HOST)
			return -EBADF;
		return host_err(fcntl(f->host_fd, cmd, (int)a[2]));
	default:
		return -EINVAL;
	}
}

/* ioctl arguments copied in and out with the sizes Linux uses. */
static long ioctl_in(struct task_struct *t, int hfd, unsigned long req, uint64_t uarg, size_t len)
{
	char buf[64];

	if (copy_from_user(t->mm, buf, uarg, len) < 0)
		return -EFAULT;
	return restartable(host_err(ioctl(hfd, req, buf)));
}

static long ioctl_out(struct task_struct *t, int hfd, unsigned long req, uint64_t uarg, size_t len)
{
	char buf[64];
	long r;

	memset(buf, 0, sizeof(buf));
	r = host_err(ioctl(hfd, req, buf));
	if (r < 0)
		return r;
	if (copy_to_user(t->mm, uarg, buf, len) < 0)
		return -EFAULT;
	return r;
}

static long sys_ioctl(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	int fd = (int)a[0];
	unsigned int req = (unsigned int)a[1];
	struct vfile *f = file_of(t, a[0]);
	int hfd, on;
	long r;

	if (!f || (f->flags & O_PATH))
		return -EBADF;
	/* The descriptor-level requests every file has. */
	switch (req) {
	case FIOCLEX:
		t->files->cloexec[fd] = true;
		return 0;
	case FIONCLEX:
		t->files->cloexec[fd] = false;
		return 0;
	case FIONBIO:
		if (copy_from_user(t->mm, &on, a[2], sizeof(on)) < 0)
			return -EFAULT;
		if (f->kind == VFILE_HOST) {
			r = host_err(ioctl(f->host_fd, FIONBIO, &on));
			if (r < 0)
				return r;
		}
		f->flags = on ? f->flags | O_NONBLOCK : f->flags & ~O_NONBLOCK;
		return 0;
	}
	if (f->kind != VFILE_HOST)
		return -ENOTTY;
	hfd = f->host_fd;
	switch (req) {
	case TCGETS:
		return ioctl_out(t, hfd, req, a[2], sizeof(struct k_termios));
	case TCSETS:
	case TCSETSW:
	case TCSETSF:
		return ioctl_in(t, hfd, req, a[2], sizeof(struct k_termios));
	case K_TCGETS2:
		return ioctl_out(t, hfd, req, a[2], sizeof(struct k_termios2));
	case K_TCSETS2:
	case K_TCSETSW2:
	case K_TCSETSF2:
		return ioctl_in(t, hfd, req, a[2], sizeof(struct k_termios2));
	case TIOCGWINSZ:
		return ioctl_out(t, hfd, req, a[2], sizeof(struct winsize));
	case TIOCSWINSZ:
		return ioctl_in(t, hfd, req, a[2], sizeof(struct winsize));
	case FIONREAD:
		return ioctl_out(t, hfd, req, a[2], sizeof(int));
	case TIOCGPGRP: {
		pid_t pg;

		r = host_err(ioctl(hfd, TIOCGPGRP, &pg));
		if (r < 0)
			return r;
		/* vmemu's terminal: its foreground group is the guest's own
		 * notion (a job-control shell moves it between its jobs). */
		if (pg == getpgrp())
			pg = m->tty_pgrp ? m->tty_pgrp : t->pgid;
		return copy_to_user(t->mm, a[2], &pg, sizeof(pg)) < 0 ? -EFAULT : 0;
	}
	case TIOCSPGRP: {
		pid_t pg, host_pg;
		bool exists = false;

		r = host_err(ioctl(hfd, TIOCGPGRP, &host_pg));
		if (r < 0)
			return r;
		if (host_pg != getpgrp())
			return -ENOTTY;        /* not vmemu's controlling terminal */
		if (copy_from_user(t->mm, &pg, a[2], sizeof(pg)) < 0)
			return -EFAULT;
		if (pg < 0)
			return -EINVAL;
		for (struct task_struct *o = m->tasks; o; o = o->next)
			if (o->pgid == pg && o->sid == t->sid && o->state != TASK_DEAD)
				exists = true;
		if (!exists)
			return -EPERM;
		m->tty_pgrp = pg;
		return 0;
	}
	case TCFLSH:
	case TCXONC:
	case TCSBRK:
	case TCSBRKP:
		/* Integer arguments, no memory. */
		return restartable(host_err(ioctl(hfd, req, (unsigned long)a[2])));
	default:
		return -ENOTTY;
	}
}

static long do_pipe2(machine_t *m, struct task_struct *t, uint64_t ufds, int flags)
{
	int hfd[2], fds[2];
	struct vfile *f[2];
	struct stat st;
	char name[48];

	if (flags & ~(O_CLOEXEC | O_NONBLOCK | O_DIRECT))
		return -EINVAL;
	if (get_unused_fd(t->files, 0) < 0)
		return -EMFILE;
	if (pipe2(hfd, O_CLOEXEC | (flags & (O_NONBLOCK | O_DIRECT))) < 0)
		return -errno;
	fstat(hfd[0], &st);
	snprintf(name, sizeof(name), "pipe:[%lu]", (unsigned long)st.st_ino);
	f[0] = vfile_new(VFILE_HOST, hfd[0], O_RDONLY | (flags & (O_NONBLOCK | O_DIRECT)), name);
	f[1] = vfile_new(VFILE_HOST, hfd[1], O_WRONLY | (flags & (O_NONBLOCK | O_DIRECT)), name);
	if (!f[0] || !f[1]) {
		for (int i = 0; i < 2; i++) {
			if (f[i])
				vfile_put(f[i]);
			else
				close(hfd[i]);
		}
		return -ENOMEM;
	}
	fds[0] = fd_install(t->files, 0, f[0], flags & O_CLOEXEC);
	fds[1] = fds[0] < 0 ? -EMFILE : fd_install(t->files, 0, f[1], flags & O_CLOEXEC);
	if (fds[1] < 0) {
		if (fds[0] >= 0)
			fd_close(t->files, fds[0]);
		else
			vfile_put(f[0]);
		vfile_put(f[1]);
		return -EMFILE;
	}
	if (copy_to_user(t->mm, ufds, fds, sizeof(fds)) < 0) {
		fd_close(t->files, fds[0]);
		fd_close(t->files, fds[1]);
		return -EFAULT;
	}
	return 0;
}

static long sys_pipe(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	return do_pipe2(m, t, a[0], 0);
}

static long sys_pipe2(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	return do_pipe2(m, t, a[0], (int)a[1]);
}

/* memfd_create: an anonymous file of the host's, so that it has an inode
 * the page cache can key on: MAP_SHARED mappings of it share pages across
 * fork, as shared memory between guest processes. */
static long sys_memfd_create(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	const unsigned int known = MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_HUGETLB;
	unsigned int flags = (unsigned int)a[1];
	char name[256], path[300];
	struct vfile *f;
	long len;
	int hfd, fd;

	if (flags & ~known)
		return -EINVAL;
	if (flags & MFD_HUGETLB)
		return -EINVAL;         /* no hugetlbfs pages in the guest */
	len = strncpy_from_user(t->mm, name, a[0], sizeof(name));
	if (len == -EFAULT)
		return -EFAULT;
	if (len < 0 || len > 249)       /* Linux's MFD_NAME_MAX_LEN */
		return -EINVAL;
	fd = get_unused_fd(t->files, 0);
	if (fd < 0)
		return fd;
	hfd = memfd_create(name, MFD_CLOEXEC | (flags & MFD_ALLOW_SEALING));
	if (hfd < 0)
		return -errno;
	snprintf(path, sizeof(path), "/memfd:%s (deleted)", name);
	f = vfile_new(VFILE_HOST, hfd, O_RDWR | O_LARGEFILE, path);
	if (!f) {
		close(hfd);
		return -ENOMEM;
	}
	return fd_install_at(t->files, fd, f, flags & MFD_CLOEXEC);
}

static long sys_umask(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	unsigned int old = t->umask;

	t->umask = (unsigned int)a[0] & 0777;
	return old;
}

/* ------------------------------------------------------------------ */
/* readiness: poll, ppoll, select, pselect6                            */

static int64_t ts_ns(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * 1000000000LL + ts->tv_nsec;
}

static struct timespec ns_ts(int64_t ns)
{
	if (ns < 0)
		ns = 0;
	return (struct timespec){ .tv_sec = ns / 1000000000LL, .tv_nsec = ns % 1000000000LL };
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts_ns(&ts);
}

/* Waits on host pollfds; timeout NULL waits for ever. *left (if given)
 * receives the time that remained, as Linux reports it back. */
static long host_poll(struct pollfd *hp, unsigned long n, const struct timespec *timeout,
		      struct timespec *left)
{
	int64_t end = timeout ? now_ns() + ts_ns(timeout) : 0;
	long r = host_err(ppoll(hp, n, timeout, NULL));

	if (timeout && left)
		*left = ns_ts(end - now_ns());
	return r == -EINTR ? -ERESTARTNOHAND : r;
}

/* Linux's poll: a guest fd that is not open gives POLLNVAL, a negative fd
 * is skipped, generated files are always ready. Those answer at once. */
static long do_poll(struct task_struct *t, uint64_t ufds, uint64_t nfds,
		    const struct timespec *timeout, struct timespec *left)
{
	struct pollfd *gp, *hp;
	struct timespec zero = { 0, 0 };
	bool immediate = false;
	long r;

	if (nfds > NR_OPEN_DEFAULT)
		return -EINVAL;
	gp = calloc(nfds ? nfds : 1, sizeof(*gp));
	hp = calloc(nfds ? nfds : 1, sizeof(*hp));
	if (!gp || !hp) {
		free(gp);
		free(hp);
		return -ENOMEM;
	}
	if (nfds && copy_from_user(t->mm, gp, ufds, nfds * sizeof(*gp)) < 0) {
		r = -EFAULT;
		goto out;
	}
	for (unsigned long i = 0; i < nfds; i++) {
		struct vfile *f = gp[i].fd >= 0 ? fd_lookup(t->files, gp[i].fd) : NULL;

		hp[i].fd = -1;
		hp[i].events = gp[i].events;
		gp[i].revents = 0;
		if (gp[i].fd < 0)
			continue;
		if (!f) {
			gp[i].revents = POLLNVAL;
			immediate = true;
		} else if (f->kind != VFILE_HOST) {
			gp[i].revents = gp[i].events & (POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM);
			immediate |= gp[i].revents != 0;
		} else {
			hp[i].fd = f->host_fd;
		}
	}
	r = host_poll(hp, nfds, immediate ? &zero : timeout, immediate ? NULL : left);
	if (r < 0)
		goto out;
	r = 0;
	for (unsigned long i = 0; i < nfds; i++) {
		if (hp[i].fd >= 0)
			gp[i].revents = hp[i].revents;
		if (gp[i].revents)
			r++;
	}
	if (nfds && copy_to_user(t->mm, ufds, gp, nfds * sizeof(*gp)) < 0)
		r = -EFAULT;
out:
	free(gp);
	free(hp);
	return r;
}

/* Registers the host descriptors behind guest pollfds for the idle loop. */
static void poll_register_host(struct task_struct *t, uint64_t ufds, uint64_t nfds)
{
	struct pollfd *gp = calloc(nfds ? nfds : 1, sizeof(*gp));
	unsigned int n = 0;

	if (!gp)
		return;
	if (nfds && copy_from_user(t->mm, gp, ufds, nfds * sizeof(*gp)) == 0) {
		for (unsigned long i = 0; i < nfds; i++) {
			struct vfile *f = gp[i].fd >= 0 ? fd_lookup(t->files, gp[i].fd) : NULL;

			if (f && f->kind == VFILE_HOST)
				gp[n++] = (struct pollfd){ f->host_fd, gp[i].events, 0 };
		}
	}
	task_wait_host(t, gp, n);
	free(gp);
}

/* poll among several tasks: the others must run while this one waits, so
 * it sleeps in the guest kernel and polls again (without waiting) when the
 * scheduler asks, until something is ready or its deadline passes.
 * wait_args: ufds, nfds, deadline (0: none). */
static int poll_wait(machine_t *m, struct task_struct *t, long *result)
{
	struct timespec zero = { 0, 0 };
	uint64_t deadline = (uint64_t)t->wait_args[2];
	long r = do_poll(t, (uint64_t)t->wait_args[0], (uint64_t)t->wait_args[1], &zero, NULL);

	if (r != 0 || (deadline && machine_now_ns(m) >= deadline)) {
		t->wake_deadline_ns = 0;
		*result = r;
		return WAIT_RESULT;
	}
	return WAIT_SLEEP;
}

/* Returns the poll result, or puts t to sleep when it must wait while other
 * tasks are alive or time is virtual (timeout NULL: for ever). */
static long poll_or_sleep(machine_t *m, struct task_struct *t, uint64_t ufds, uint64_t nfds,
			  const struct timespec *timeout)
{
	struct timespec zero = { 0, 0 };
	long r;

	if (!must_sleep_in_guest(m, t) || (timeout && !timeout->tv_sec && !timeout->tv_nsec))
		return do_poll(t, ufds, nfds, timeout, NULL);
	r = do_poll(t, ufds, nfds, &zero, NULL);
	if (r != 0)
		return r;
	t->wait_args[0] = (long)ufds;
	t->wait_args[1] = (long)nfds;
	t->wait_args[2] = timeout ? (long)(machine_now_ns(m) + (uint64_t)timeout->tv_sec *
					   1000000000ULL + (uint64_t)timeout->tv_nsec) : 0;
	t->wake_deadline_ns = (uint64_t)t->wait_args[2];
	poll_register_host(t, ufds, nfds);
	return task_sleep(m, t, poll_wait);
}

static long sys_poll(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	int ms = (int)a[2];
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	return poll_or_sleep(m, t, a[0], a[1], ms < 0 ? NULL : &ts);
}

static long get_timespec(struct task_struct *t, uint64_t uts, struct timespec *ts)
{
	if (copy_from_user(t->mm, ts, uts, sizeof(*ts)) < 0)
		return -EFAULT;
	if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000L)
		return -EINVAL;
	return 0;
}

/* The signal mask argument of ppoll and pselect6 is checked but not yet
 * applied: while the host call blocks, no guest signal can arrive anyway
 * (the machine is single-threaded), so only the window before the call,
 * which signal.c's delivery at syscall exit already covers, is missed. */
static long sys_ppoll(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	struct timespec ts = { 0, 0 }, left;
	long r;

	if (a[3] && a[4] != 8)
		return -EINVAL;
	if (a[2]) {
		r = get_timespec(t, a[2], &ts);
		if (r < 0)
			return r;
	}
	left = ts;       /* an answer without waiting leaves all of it */
	if (must_sleep_in_guest(m, t))
		return poll_or_sleep(m, t, a[0], a[1], a[2] ? &ts : NULL);
	r = do_poll(t, a[0], a[1], a[2] ? &ts : NULL, &left);
	if (a[2] && r != -EFAULT) {
		if (r == 0)
			left = (struct timespec){ 0, 0 };
		/* Linux reports the time left; a failed copy is ignored. */
		if (r >= 0 || r == -ERESTARTNOHAND)
			copy_to_user(t->mm, a[2], &left, sizeof(left));
	}
	return r;
}

#define POLLIN_SET  (POLLIN | POLLRDNORM | POLLRDBAND | POLLHUP | POLLERR)
#define POLLOUT_SET (POLLOUT | POLLWRNORM | POLLWRBAND | POLLERR)
#define POLLEX_SET  (POLLPRI)

/* The size of Linux's fd table for these descriptors: 64, doubled until it
 * holds the highest open one. select ignores bits past it. */
static int fdtable_size(const struct files_struct *files)
{
	int high = -1, size = 64;

	for (int fd = NR_OPEN_DEFAULT - 1; fd >= 0; fd--) {
		if (files->fd[fd]) {
			high = fd;
			break;
		}
	}
	while (size <= high)
		size *= 2;
	return size < NR_OPEN_DEFAULT ? size : NR_OPEN_DEFAULT;
}

/* select over host poll (host fd numbers may exceed FD_SETSIZE): Linux's
 * own mapping of poll bits to the three sets. probe: look without waiting,
 * and when nothing is ready leave the guest's sets alone and register the
 * host descriptors for a sleep (select_or_sleep). */
static long do_select(struct task_struct *t, int nfds, const uint64_t uset[3],
		      const struct timespec *timeout, struct timespec *left, bool probe)
{
	size_t words, bytes;
	uint64_t *in[3] = { NULL, NULL, NULL }, *out[3] = { NULL, NULL, NULL };
	struct pollfd *hp = NULL;
	int *gfd = NULL;
	unsigned long n = 0;
	struct timespec zero = { 0, 0 };
	bool immediate = false;
	long r = 0;

	if (nfds < 0)
		return -EINVAL;
	if (nfds > fdtable_size(t->files))
		nfds = fdtable_size(t->files);
	words = ((size_t)nfds + 63) / 64;
	bytes = words * 8;
	for (int s = 0; s < 3; s++) {
		in[s] = calloc(words ? words : 1, 8);
		out[s] = calloc(words ? words : 1, 8);
		if (!in[s] || !out[s]) {
			r = -ENOMEM;
			goto out;
		}
		if (uset[s] && bytes && copy_from_user(t->mm, in[s], uset[s], bytes) < 0) {
			r = -EFAULT;
			goto out;
		}
	}
	hp = calloc(nfds ? nfds : 1, sizeof(*hp));
	gfd = calloc(nfds ? nfds : 1, sizeof(*gfd));
	if (!hp || !gfd) {
		r = -ENOMEM;
		goto out;
	}
	for (int fd = 0; fd < nfds; fd++) {
		uint64_t bit = 1ULL << (fd % 64);
		bool want[3];
		struct vfile *f;

		for (int s = 0; s < 3; s++)
			want[s] = in[s][fd / 64] & bit;
		if (!want[0] && !want[1] && !want[2])
			continue;
		f = fd_lookup(t->files, fd);
		if (!f || (f->flags & O_PATH)) {
			r = -EBADF;
			goto out;
		}
		if (f->kind != VFILE_HOST) {
			/* generated files are always ready to read and write */
			for (int s = 0; s < 2; s++)
				if (want[s])
					out[s][fd / 64] |= bit;
			immediate |= want[0] || want[1];
			continue;
		}
		hp[n].fd = f->host_fd;
		hp[n].events = (want[0] ? POLLIN | POLLRDNORM | POLLRDBAND : 0) |
			       (want[1] ? POLLOUT | POLLWRNORM | POLLWRBAND : 0) |
			       (want[2] ? POLLPRI : 0);
		gfd[n++] = fd;
	}
	r = host_poll(hp, n, immediate || probe ? &zero : timeout, immediate ? NULL : left);
	if (r < 0)
		goto out;
	for (unsigned long i = 0; i < n; i++) {
		int fd = gfd[i];
		uint64_t bit = 1ULL << (fd % 64);
		short ev = hp[i].revents;

		if (ev & POLLNVAL) {
			r = -EBADF;
			goto out;
		}
		if ((in[0][fd / 64] & bit) && (ev & POLLIN_SET))
			out[0][fd / 64] |= bit;
		if ((in[1][fd / 64] & bit) && (ev & POLLOUT_SET))
			out[1][fd / 64] |= bit;
		if ((in[2][fd / 64] & bit) && (ev & POLLEX_SET))
			out[2][fd / 64] |= bit;
	}
	r = 0;
	for (int s = 0; s < 3; s++)
		for (size_t w = 0; w < words; w++)
			r += __builtin_popcountll(out[s][w]);
	if (probe && r == 0) {
		task_wait_host(t, hp, (unsigned int)n);
		goto out;
	}
	for (int s = 0; s < 3; s++) {
		if (uset[s] && bytes && copy_to_user(t->mm, uset[s], out[s], bytes) < 0) {
			r = -EFAULT;
			goto out;
		}
	}
out:
	for (int s = 0; s < 3; s++) {
		free(in[s]);
		free(out[s]);
	}
	free(hp);
	free(gfd);
	return r;
}

/* select among several tasks (or on the virtual clock): as poll_or_sleep,
 * a sleep in the guest kernel. wait_args: nfds, the three sets, deadline
 * (0: none), where the time left goes (0: nowhere), and 1 when that is a
 * timespec (pselect6) rather than a timeval. */
static void select_copy_left(machine_t *m, struct task_struct *t, uint64_t ut, bool timespec,
			     const struct timespec *left)
{
	if (!ut)
		return;
	if (timespec) {
		copy_to_user(t->mm, ut, left, sizeof(*left));
	} else {
		struct timeval tv = { left->tv_sec, left->tv_nsec / 1000 };

		copy_to_user(t->mm, ut, &tv, sizeof(tv));
	}
}

static int select_wait(machine_t *m, struct task_struct *t, long *result)
{
	struct timespec zero = { 0, 0 }, left = { 0, 0 };
	uint64_t deadline = (uint64_t)t->wait_args[4], now = machine_now_ns(m);
	uint64_t uset[3] = { (uint64_t)t->wait_args[1], (uint64_t)t->wait_args[2],
			     (uint64_t)t->wait_args[3] };
	bool expired = deadline && now >= deadline;
	long r = do_select(t, (int)t->wait_args[0], uset, &zero, NULL, !expired);

	if (r == 0 && !expired)
		return WAIT_SLEEP;
	t->wake_deadline_ns = 0;
	if (deadline && deadline > now)
		left = ns_ts((int64_t)(deadline - now));
	if (r >= 0)
		select_copy_left(m, t, (uint64_t)t->wait_args[5], t->wait_args[6], &left);
	*result = r;
	return WAIT_RESULT;
}

/* Returns 1 when the caller should do the plain host select; otherwise the
 * result is in *r (an answer without waiting, or a sleep). */
static int select_or_sleep(machine_t *m, struct task_struct *t, const uint64_t *a,
			   const struct timespec *timeout, bool timespec, long *r)
{
	struct timespec zero = { 0, 0 };

	if (!must_sleep_in_guest(m, t) || (timeout && !timeout->tv_sec && !timeout->tv_nsec))
		return 1;
	*r = do_select(t, (int)a[0], &a[1], &zero, NULL, true);
	if (*r != 0) {
		if (*r > 0)
			select_copy_left(m, t, a[4], timespec, timeout);
		return 0;
	}
	t->wait_args[0] = (long)a[0];
	t->wait_args[1] = (long)a[1];
	t->wait_args[2] = (long)a[2];
	t->wait_args[3] = (long)a[3];
	t->wait_args[4] = timeout ? (long)(machine_now_ns(m) + (uint64_t)ts_ns(timeout)) : 0;
	t->wait_args[5] = (long)a[4];
	t->wait_args[6] = timespec;
	t->wake_deadline_ns = (uint64_t)t->wait_args[4];
	task_sleep(m, t, select_wait);
	/* Linux's select: a handler makes it EINTR whatever SA_RESTART says. */
	*r = -ERESTARTNOHAND;
	return 0;
}

static long sys_select(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	struct timeval tv;
	struct timespec ts = { 0, 0 }, left;
	long r;

	if (a[4]) {
		if (copy_from_user(t->mm, &tv, a[4], sizeof(tv)) < 0)
			return -EFAULT;
		if (tv.tv_sec < 0 || tv.tv_usec < 0)
			return -EINVAL;
		/* Linux normalises usec overflow into seconds. */
		ts.tv_sec = tv.tv_sec + tv.tv_usec / 1000000;
		ts.tv_nsec = (tv.tv_usec % 1000000) * 1000;
	}
	if (!select_or_sleep(m, t, a, a[4] ? &ts : NULL, false, &r))
		return r;
	left = ts;
	r = do_select(t, (int)a[0], &a[1], a[4] ? &ts : NULL, &left, false);
	if (a[4] && (r >= 0 || r == -ERESTARTNOHAND)) {
		tv.tv_sec = left.tv_sec;
		tv.tv_usec = left.tv_nsec / 1000;
		copy_to_user(t->mm, a[4], &tv, sizeof(tv));
	}
	return r;
}

static long sys_pselect6(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	struct timespec ts = { 0, 0 }, left;
	uint64_t sig[2];         /* { const sigset_t *ss, size_t ss_len } */
	long r;

	if (a[4]) {
		r = get_timespec(t, a[4], &ts);
		if (r < 0)
			return r;
	}
	if (a[5]) {
		if (copy_from_user(t->mm, sig, a[5], sizeof(sig)) < 0)
			return -EFAULT;
		if (sig[0] && sig[1] != 8)
			return -EINVAL;
	}
	if (!select_or_sleep(m, t, a, a[4] ? &ts : NULL, true, &r))
		return r;
	left = ts;
	r = do_select(t, (int)a[0], &a[1], a[4] ? &ts : NULL, &left, false);
	if (a[4] && (r >= 0 || r == -ERESTARTNOHAND))
		copy_to_user(t->mm, a[4], &left, sizeof(left));
	return r;
}

/* ------------------------------------------------------------------ */
/* sendfile and copy_file_range                                        */

/* sendfile among several tasks, into a pipe or socket: the host's sendfile
 * would block the machine on a full pipe whose reader is a guest task, so
 * the data goes through a buffer and a RWF_NOWAIT write, and what the
 * output did not take is given back to the input (its offset moves back).
 * off is the offset to use, or NULL for in's file position; *slept tells
 * that the result is task_sleep's. */
static long sendfile_coop(machine_t *m, struct task_struct *t, struct vfile *in,
			  struct vfile *out, off_t *off, size_t count, bool *slept)
{
	size_t len = count < 65536 ? count : 65536;
	struct iovec iov;
	ssize_t n, w;
	char *buf;

	*slept = true;
	if (!host_fd_ready(out->host_fd, POLLOUT))
		return sleep_on_host_fd(m, t, out->host_fd, POLLOUT);
	if (!(in->flags & O_NONBLOCK) && !host_fd_ready(in->host_fd, POLLIN))
		return sleep_on_host_fd(m, t, in->host_fd, POLLIN);
	*slept = false;
	buf = malloc(len ? len : 1);
	if (!buf)
		return -ENOMEM;
	n = off ? pread(in->host_fd, buf, len, *off) : read(in->host_fd, buf, len);
	if (n <= 0) {
		free(buf);
		return n < 0 ? -errno : 0;
	}
	iov.iov_base = buf;
	iov.iov_len = (size_t)n;
	w = pwritev2(out->host_fd, &iov, 1, -1, RWF_NOWAIT);
	if (w < 0 && errno == EOPNOTSUPP)
		w = write(out->host_fd, buf, (size_t)n);
	if (w < 0)
		w = -errno;
	if (w < n && !off) {
		off_t back = n - (w > 0 ? w : 0);

		if (lseek(in->host_fd, -back, SEEK_CUR) < 0 && w >= 0) {
			/* An unseekable input cannot take it back: wait for it. */
			ssize_t rest = write(out->host_fd, buf + w, (size_t)back);

			w += rest > 0 ? rest : 0;
		}
	}
	free(buf);
	if (off && w > 0)
		*off += w;
	if (w == -EAGAIN) {
		*slept = true;
		return sleep_on_host_fd(m, t, out->host_fd, POLLOUT);
	}
	return w;
}

/* sendfile between two host files is the host's own (exact errors:
 * EINVAL for O_APPEND output, ESPIPE...), except among several tasks into
 * a pipe (above); from a generated file it is a plain write. */
static long sys_sendfile(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	struct vfile *in = file_of(t, a[1]), *out;
	uint64_t count = a[3] > (uint64_t)MAX_RW_COUNT ? (uint64_t)MAX_RW_COUNT : a[3];
	struct sigpipe_hold hold;
	bool slept = false;
	off_t off = 0;
	long r;

	if (!in)
		return -EBADF;
	out = file_of(t, a[0]);
	if (!out)
		return -EBADF;
	if (a[2] && copy_from_user(t->mm, &off, a[2], sizeof(off)) < 0)
		return -EFAULT;
	if (out->kind != VFILE_HOST)
		return -EINVAL;
	if (in->kind != VFILE_HOST && a[2] && off < 0)
		return -EINVAL;
	/* The host reads the file itself: stores made through mappings
	 * reach it first; what it writes into a cached file, the cache drops. */
	if (in->kind == VFILE_HOST)
		pagecache_flush(t, in->host_fd);
	sigpipe_block(&hold);
	if (in->kind == VFILE_HOST && !(out->flags & O_NONBLOCK) && others_live(m, t) &&
	    !host_fd_is_regular(out->host_fd) && !isatty(out->host_fd)) {
		r = sendfile_coop(m, t, in, out, a[2] ? &off : NULL, count, &slept);
	} else if (in->kind == VFILE_HOST) {
		r = host_err(sendfile(out->host_fd, in->host_fd, a[2] ? &off : NULL, count));
	} else {
		uint64_t pos = a[2] ? (uint64_t)off : in->pos, avail;

		avail = pos < in->buf_len ? in->buf_len - pos : 0;
		if (count > avail)
			count = avail;
		r = count ? host_err(write(out->host_fd, in->buf + pos, count)) : 0;
		if (r > 0 && a[2])
			off += r;
		else if (r > 0)
			in->pos += r;
	}
	sigpipe_restore(&hold, r == -EPIPE);
	if (r > 0)
		pagecache_invalidate(t, out->host_fd, 0, UINT64_MAX);
	if (slept)
		return r;
	if (r == -EPIPE)
		send_sigpipe(t);
	r = restartable(r);
	if (a[2] && r >= 0 && copy_to_user(t->mm, a[2], &off, sizeof(off)) < 0)
		return -EFAULT;
	return r;
}

static long sys_copy_file_range(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	struct vfile *in = file_of(t, a[0]), *out = file_of(t, a[2]);
	off_t off_in = 0, off_out = 0;
	long r;

	if (!in || !out)
		return -EBADF;
	if (in->kind != VFILE_HOST || out->kind != VFILE_HOST)
		return -EINVAL;
	if (a[1] && copy_from_user(t->mm, &off_in, a[1], sizeof(off_in)) < 0)
		return -EFAULT;
	if (a[3] && copy_from_user(t->mm, &off_out, a[3], sizeof(off_out)) < 0)
		return -EFAULT;
	pagecache_flush(t, in->host_fd);
	r = host_err(copy_file_range(in->host_fd, a[1] ? &off_in : NULL, out->host_fd,
				     a[3] ? &off_out : NULL, (size_t)a[4], (unsigned int)a[5]));
	if (r < 0)
		return restartable(r);
	if (r > 0)
		pagecache_invalidate(t, out->host_fd, 0, UINT64_MAX);
	if (a[1] && copy_to_user(t->mm, a[1], &off_in, sizeof(off_in)) < 0)
		return -EFAULT;
	if (a[3] && copy_to_user(t->mm, a[3], &off_out, sizeof(off_out)) < 0)
		return -EFAULT;
	return r;
}

/* ------------------------------------------------------------------ */

void sys_fs_register(struct syscall_desc *table)
{
	SYSCALL(table, __NR_read, sys_read);
	SYSCALL(table, __NR_write, sys_write);
	SYSCALL(table, __NR_pread64, sys_pread64);
	SYSCALL(table, __NR_pwrite64, sys_pwrite64);
	SYSCALL(table, __NR_readv, sys_readv);
	SYSCALL(table, __NR_writev, sys_writev);
	SYSCALL(table, __NR_preadv, sys_preadv);
	SYSCALL(table, __NR_pwritev, sys_pwritev);
	SYSCALL(table, __NR_preadv2, sys_preadv2);
	SYSCALL(table, __NR_pwritev2, sys_pwritev2);
	SYSCALL(table, __NR_lseek, sys_lseek);
	SYSCALL(table, __NR_open, sys_open);
	SYSCALL(table, __NR_openat, sys_openat);
	SYSCALL(table, __NR_creat, sys_creat);
	SYSCALL(table, __NR_close, sys_close);
	SYSCALL(table, __NR_close_range, sys_close_range);
	SYSCALL(table, __NR_stat, sys_stat);
	SYSCALL(table, __NR_lstat, sys_lstat);
	SYSCALL(table, __NR_fstat, sys_fstat);
	SYSCALL(table, __NR_newfstatat, sys_newfstatat);
	SYSCALL(table, __NR_statx, sys_statx);
	SYSCALL(table, __NR_access, sys_access);
	SYSCALL(table, __NR_faccessat, sys_faccessat);
	SYSCALL(table, __NR_faccessat2, sys_faccessat2);
	SYSCALL(table, __NR_statfs, sys_statfs);
	SYSCALL(table, __NR_fstatfs, sys_fstatfs);
	SYSCALL(table, __NR_getdents64, sys_getdents64);
	SYSCALL(table, __NR_getcwd, sys_getcwd);
	SYSCALL(table, __NR_chdir, sys_chdir);
	SYSCALL(table, __NR_fchdir, sys_fchdir);
	SYSCALL(table, __NR_mkdir, sys_mkdir);
	SYSCALL(table, __NR_mkdirat, sys_mkdirat);
	SYSCALL(table, __NR_mknod, sys_mknod);
	SYSCALL(table, __NR_mknodat, sys_mknodat);
	SYSCALL(table, __NR_rmdir, sys_rmdir);
	SYSCALL(table, __NR_unlink, sys_unlink);
	SYSCALL(table, __NR_unlinkat, sys_unlinkat);
	SYSCALL(table, __NR_rename, sys_rename);
	SYSCALL(table, __NR_renameat, sys_renameat);
	SYSCALL(table, __NR_renameat2, sys_renameat2);
	SYSCALL(table, __NR_readlink, sys_readlink);
	SYSCALL(table, __NR_readlinkat, sys_readlinkat);
	SYSCALL(table, __NR_symlink, sys_symlink);
	SYSCALL(table, __NR_symlinkat, sys_symlinkat);
	SYSCALL(table, __NR_link, sys_link);
	SYSCALL(table, __NR_linkat, sys_linkat);
	SYSCALL(table, __NR_chmod, sys_chmod);
	SYSCALL(table, __NR_fchmod, sys_fchmod);
	SYSCALL(table, __NR_fchmodat, sys_fchmodat);
	SYSCALL(table, __NR_fchmodat2, sys_fchmodat2);
	SYSCALL(table, __NR_chown, sys_chown);
	SYSCALL(table, __NR_fchown, sys_fchown);
	SYSCALL(table, __NR_lchown, sys_lchown);
	SYSCALL(table, __NR_fchownat, sys_fchownat);
	SYSCALL(table, __NR_utimensat, sys_utimensat);
	SYSCALL(table, __NR_utimes, sys_utimes);
	SYSCALL(table, __NR_utime, sys_utime);
	SYSCALL(table, __NR_truncate, sys_truncate);
	SYSCALL(table, __NR_ftruncate, sys_ftruncate);
	SYSCALL(table, __NR_fsync, sys_fsync);
	SYSCALL(table, __NR_fdatasync, sys_fdatasync);
	SYSCALL(table, __NR_sync, sys_sync);
	SYSCALL(table, __NR_syncfs, sys_syncfs);
	SYSCALL(table, __NR_sync_file_range, sys_sync_file_range);
	SYSCALL(table, __NR_fadvise64, sys_fadvise64);
	SYSCALL(table, __NR_fallocate, sys_fallocate);
	SYSCALL(table, __NR_flock, sys_flock);
	SYSCALL(table, __NR_fcntl, sys_fcntl);
	SYSCALL(table, __NR_ioctl, sys_ioctl);
	SYSCALL(table, __NR_dup, sys_dup);
	SYSCALL(table, __NR_dup2, sys_dup2);
	SYSCALL(table, __NR_dup3, sys_dup3);
	SYSCALL(table, __NR_pipe, sys_pipe);
	SYSCALL(table, __NR_pipe2, sys_pipe2);
	SYSCALL(table, __NR_memfd_create, sys_memfd_create);
	SYSCALL(table, __NR_umask, sys_umask);
	SYSCALL(table, __NR_poll, sys_poll);
	SYSCALL(table, __NR_ppoll, sys_ppoll);
	SYSCALL(table, __NR_select, sys_select);
	SYSCALL(table, __NR_pselect6, sys_pselect6);
	SYSCALL(table, __NR_sendfile, sys_sendfile);
	SYSCALL(table, __NR_copy_file_range, sys_copy_file_range);
}
