/* Guest paths onto host files below the machine's root: joining relative
 * guest paths with the cwd or a directory fd, resolving them with openat2
 * inside the root, and answering for the paths the guest kernel owns. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <linux/openat2.h>

#include "vfs.h"
#include "procfs.h"

/* How it works. Every host look-up is openat2(root_fd, guest_abs) with
 * RESOLVE_IN_ROOT, so ".." at the root and absolute symlinks stay below the
 * root, and RESOLVE_NO_MAGICLINKS, so /proc/<pid>/fd/N links (which would
 * jump anywhere) are refused. Before that, a lexical look at the path
 * catches what the guest kernel answers itself: /proc/self, /proc/<pid>,
 * /proc/thread-self and their aliases /dev/fd and /dev/std{in,out,err}.
 * The host's /proc/self is vmemu, so nothing of it may reach the guest: a
 * host open that ends up in a host /proc/<pid> (through some other
 * symlink) is refused too, with ENOENT. A --root without /dev/null and
 * friends gets the host's devices (host_device). */

#define MAX_REDIRECTS 40        /* Linux's MAXSYMLINKS */
#define OPENAT2_RETRIES 16      /* RESOLVE_IN_ROOT gives EAGAIN on a racing rename */

static char *path_join(const char *dir, const char *rel)
{
	size_t dl, rl;
	char *p;

	if (rel[0] == '/')
		return strdup(rel);
	dl = strlen(dir);
	rl = strlen(rel);
	p = malloc(dl + rl + 2);
	if (!p)
		return NULL;
	memcpy(p, dir, dl);
	if (!dl || dir[dl - 1] != '/')
		p[dl++] = '/';
	memcpy(p + dl, rel, rl + 1);
	return p;
}

char *vfs_fd_guest_path(machine_t *m, int host_fd)
{
	char link[40];
	char *buf;
	ssize_t n;
	size_t rl;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", host_fd);
	buf = malloc(PATH_MAX + 1);
	if (!buf)
		return NULL;
	n = readlink(link, buf, PATH_MAX + 1);
	if (n < 0 || n > PATH_MAX) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	{
		char *proc = procfs_dir_guest_path(m, buf);

		if (proc) {
			free(buf);
			return proc;
		}
	}
	rl = strlen(m->root);
	if (strcmp(m->root, "/") == 0 || strncmp(buf, m->root, rl) != 0)
		return buf;     /* "pipe:[123]", or a host file given to the guest */
	if (buf[rl] == '/')
		memmove(buf, buf + rl, n - rl + 1);               /* "/a" */
	else if (buf[rl] == '\0' || strcmp(buf + rl, " (deleted)") == 0)
		memmove(buf + 1, buf + rl, n - rl + 1);           /* "/", "/ (deleted)" */
	buf[0] = '/';
	return buf;
}

char *vfs_guest_path(machine_t *m, struct task_struct *t, int dirfd, const char *path, int *err)
{
	struct vfile *f;
	struct stat st;
	char *base, *p;

	if (!path[0]) {
		*err = -ENOENT;
		return NULL;
	}
	if (path[0] == '/' || dirfd == AT_FDCWD) {
		p = path_join(t->cwd ? t->cwd : "/", path);
		if (!p)
			*err = -ENOMEM;
		return p;
	}
	f = fd_lookup(t->files, dirfd);
	if (!f) {
		*err = -EBADF;
		return NULL;
	}
	if (f->kind != VFILE_HOST || fstat(f->host_fd, &st) < 0 || !S_ISDIR(st.st_mode)) {
		*err = -ENOTDIR;
		return NULL;
	}
	/* The directory's current name, as Linux walks from the inode itself;
	 * the name at open time if the host cannot say. */
	base = vfs_fd_guest_path(m, f->host_fd);
	if (!base || base[0] != '/') {
		free(base);
		base = f->path ? strdup(f->path) : NULL;
	}
	if (!base || base[0] != '/') {
		free(base);
		*err = -ENOENT;
		return NULL;
	}
	p = path_join(base, path);
	free(base);
	if (!p)
		*err = -ENOMEM;
	return p;
}

/* True when a host fd opened below the root lies in a host /proc/<pid>:
 * the host's processes (vmemu among them) are not the guest's. */
static bool in_host_proc_pid(machine_t *m, int fd)
{
	struct statfs sfs;
	char *p;
	const char *c;
	bool hit = false;

	if (fstatfs(fd, &sfs) < 0 || sfs.f_type != PROC_SUPER_MAGIC)
		return false;
	p = vfs_fd_guest_path(m, fd);
	if (!p)
		return true;
	c = strchr(p + 1, '/');
	if (c) {
		c++;
		if (strncmp(c, "self", 4) == 0 || strncmp(c, "thread-self", 11) == 0) {
			hit = true;
		} else if (*c >= '0' && *c <= '9') {
			while (*c >= '0' && *c <= '9')
				c++;
			hit = (*c == '\0' || *c == '/');
		}
	}
	free(p);
	return hit;
}

/* openat2 below the root; the host fd or -errno. */
/* --read-only, as a read-only mount: opening a regular file or directory
 * to write or truncate it, and creating one, give EROFS, after the errors
 * Linux's look-up gives first (ENOENT, EEXIST for O_CREAT|O_EXCL). Device
 * nodes stay writable. 0 when the open may go ahead (O_CREAT dropped when
 * the file exists), or -errno. */
static int rofs_open(machine_t *m, const char *guest_abs, int *flags)
{
	struct open_how how;
	struct stat st;
	int acc = *flags & O_ACCMODE;
	long fd;

	if (!m->cfg.read_only || (*flags & O_PATH))
		return 0;
	if ((*flags & O_TMPFILE) == O_TMPFILE)
		return -EROFS;
	if (acc == O_RDONLY && !(*flags & (O_CREAT | O_TRUNC)))
		return 0;
	memset(&how, 0, sizeof(how));
	how.flags = O_PATH | O_CLOEXEC | (*flags & (O_NOFOLLOW | O_DIRECTORY));
	how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
	fd = syscall(SYS_openat2, m->root_fd, guest_abs, &how, sizeof(how));
	if (fd < 0)
		return errno == ENOENT && (*flags & O_CREAT) ? -EROFS : -errno;
	if (fstat((int)fd, &st) < 0)
		st.st_mode = 0;
	close((int)fd);
	if ((*flags & O_CREAT) && (*flags & O_EXCL))
		return -EEXIST;
	*flags &= ~O_CREAT;
	if ((S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) &&
	    (acc != O_RDONLY || (*flags & O_TRUNC)))
		return S_ISDIR(st.st_mode) && acc != O_RDONLY ? -EISDIR : -EROFS;
	return 0;
}

static int root_open(machine_t *m, const char *guest_abs, int flags, int mode)
{
	struct open_how how;
	bool creating;
	long fd;
	int r = rofs_open(m, guest_abs, &flags);

	if (r < 0)
		return r;
	creating = (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE;
	memset(&how, 0, sizeof(how));
	how.flags = (unsigned int)(flags | O_CLOEXEC);
	how.mode = creating ? (unsigned int)mode & 07777 : 0;
	how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
	for (int tries = 0;; tries++) {
		fd = syscall(SYS_openat2, m->root_fd, guest_abs, &how, sizeof(how));
		if (fd >= 0 || errno != EAGAIN || tries >= OPENAT2_RETRIES)
			break;
	}
	if (fd < 0)
		return -errno;
	if (in_host_proc_pid(m, (int)fd)) {
		close((int)fd);
		return -ENOENT;
	}
	return (int)fd;
}

int vfs_open(machine_t *m, const char *guest_abs, int flags, int mode)
{
	return root_open(m, guest_abs, flags, mode);
}

/* ---- the paths the guest kernel answers for ---- */

enum special_kind {
	SP_NONE,         /* an ordinary path: ask the host */
	SP_LINK,         /* a generated symlink, not followed: sp->link */
	SP_REDIRECT,     /* look up sp->path instead */
	SP_HOSTFD,       /* the open file behind guest fd: reopen sp->host_fd */
	SP_GENERATED,    /* contents the guest kernel made: sp->path holds them */
	SP_PROCDIR,      /* a /proc directory (procfs_dir.c): sp->path names it */
};

struct special {
	char *path;
	int host_fd;
	struct vfs_link link;
};

/* Lexical normal form: no "//", "." or ".." components (".." at the root
 * stays at the root, as RESOLVE_IN_ROOT has it). *dirslash tells whether
 * the path ended in "/", "/." or "/.." (the last component must then be a
 * directory and is followed). Only used to recognise special paths: the
 * host resolves the path as given, symlinks and all. */
static char *normalize(const char *in, bool *dirslash)
{
	char *out = malloc(strlen(in) + 2);
	size_t len = 0;
	const char *s = in;

	if (!out)
		return NULL;
	*dirslash = false;
	while (*s) {
		const char *e;
		size_t cl;

		while (*s == '/')
			s++;
		if (!*s) {
			*dirslash = len > 0;
			break;
		}
		e = strchrnul(s, '/');
		cl = e - s;
		*dirslash = false;
		if (cl == 1 && s[0] == '.') {
			*dirslash = true;
		} else if (cl == 2 && s[0] == '.' && s[1] == '.') {
			while (len > 0 && out[len - 1] != '/')
				len--;
			if (len > 0)
				len--;
			*dirslash = true;
		} else {
			out[len++] = '/';
			memcpy(out + len, s, cl);
			len += cl;
		}
		s = e;
	}
	if (!len)
		out[len++] = '/';
	out[len] = '\0';
	return out;
}

/* s with prefix p as its leading components: what follows ("" or "/..."),
 * else NULL. */
static const char *after_prefix(const char *s, const char *p)
{
	size_t l = strlen(p);

	if (strncmp(s, p, l) != 0 || (s[l] != '\0' && s[l] != '/'))
		return NULL;
	return s + l;
}

/* Length of the first component of rest ("/name/..."), rest[0] == '/'. */
static size_t comp_len(const char *rest)
{
	return strchrnul(rest + 1, '/') - (rest + 1);
}

static bool comp_is(const char *rest, const char *name)
{
	size_t l = strlen(name);

	return comp_len(rest) == l && strncmp(rest + 1, name, l) == 0;
}

/* A decimal component without sign or leading zeros, as procfs names. */
static long comp_number(const char *rest)
{
	size_t l = comp_len(rest);
	long v = 0;

	if (!l || l > 9 || (rest[1] == '0' && l > 1))
		return -1;
	for (size_t i = 1; i <= l; i++) {
		if (rest[i] < '0' || rest[i] > '9')
			return -1;
		v = v * 10 + (rest[i] - '0');
	}
	return v;
}

static int make_redirect(struct special *sp, const char *target, const char *rest, bool dirslash)
{
	size_t tl = strlen(target), rl = strlen(rest);
	char *p = malloc(tl + rl + 3);

	if (!p)
		return -ENOMEM;
	memcpy(p, target, tl);
	memcpy(p + tl, rest, rl);
	tl += rl;
	if (dirslash)
		p[tl++] = '/';
	p[tl] = '\0';
	sp->path = p;
	return SP_REDIRECT;
}

static int make_link(struct special *sp, const char *target, unsigned int mode, unsigned int size)
{
	sp->link.target = strdup(target);
	if (!sp->link.target)
		return -ENOMEM;
	sp->link.mode = mode;
	sp->link.size = size;
	return SP_LINK;
}

/* /proc/self/<sub>: exe, cwd, root and fd/N. The rest of /proc/self (maps,
 * status, the directories themselves...) is generated in a later issue;
 * until then it does not exist (ENOENT), and it must never be the host's,
 * whose /proc/self is vmemu. */
static int proc_self(machine_t *m, struct task_struct *t, const char *sub, bool follow,
		     bool dirslash, struct special *sp)
{
	const char *after = sub + 1 + comp_len(sub);
	const char *target = NULL;
	struct vfile *f;
	char *fresh;
	long n;
	int r;

	if (comp_is(sub, "exe"))
		target = t->exe_path;
	else if (comp_is(sub, "cwd"))
		target = t->cwd;
	else if (comp_is(sub, "root"))
		target = "/";
	if (target) {
		if (!*after && !follow)
			return make_link(sp, target, 0777, 0);
		return make_redirect(sp, strcmp(target, "/") ? target : "", *after ? after : (target[1] ? "" : "/"), dirslash);
	}
	if (!comp_is(sub, "fd") || !*after)
		return -ENOENT;
	n = comp_number(after);
	f = n < 0 ? NULL : fd_lookup(t->files, (int)n);
	if (!f)
		return -ENOENT;
	after += 1 + comp_len(after);
	fresh = f->kind == VFILE_HOST && !f->generated ? vfs_fd_guest_path(m, f->host_fd) : NULL;
	target = fresh ? fresh : f->path ? f->path : "";
	if (!*after && !follow) {
		int acc = f->flags & O_ACCMODE;
		unsigned int mode = 0;

		if (!(f->flags & O_PATH) && (acc == O_RDONLY || acc == O_RDWR))
			mode |= 0500;
		if (!(f->flags & O_PATH) && (acc == O_WRONLY || acc == O_RDWR))
			mode |= 0300;
		r = make_link(sp, target, mode, 64);
	} else if (*after || dirslash) {
		r = target[0] == '/' ? make_redirect(sp, target, after, dirslash) : -ENOTDIR;
	} else if (f->kind == VFILE_HOST) {
		sp->host_fd = f->host_fd;
		r = SP_HOSTFD;
	} else {
		r = -ENOENT;     /* generated files have no host file to reopen */
	}
	free(fresh);
	return r;
}

/* Does the path have a ".." component? */
static bool has_dotdot(const char *p)
{
	for (const char *s = strstr(p, ".."); s; s = strstr(s + 2, ".."))
		if ((s == p || s[-1] == '/') && (s[2] == '\0' || s[2] == '/'))
			return true;
	return false;
}

static int classify(machine_t *m, struct task_struct *t, const char *guest_abs, bool follow,
		    struct special *sp)
{
	static const char *const std_names[] = { "/dev/stdin", "/dev/stdout", "/dev/stderr" };
	char tmp[48];
	bool dirslash;
	char *np = normalize(guest_abs, &dirslash);
	const char *rest;
	int r = SP_NONE;

	if (!np)
		return -ENOMEM;
	if (dirslash)
		follow = true;
	if ((rest = after_prefix(np, "/dev/fd")) && (*rest || follow)) {
		r = make_redirect(sp, "/proc/self/fd", rest, dirslash);
		goto out;
	}
	for (int i = 0; i < 3; i++) {
		if (follow && strcmp(np, std_names[i]) == 0) {
			snprintf(tmp, sizeof(tmp), "/proc/self/fd/%d", i);
			r = make_redirect(sp, tmp, "", dirslash);
			goto out;
		}
	}
	{
		size_t glen;

		if (procfs_generate(m, t, np, &sp->path, &glen) == 0) {
			sp->host_fd = (int)glen;
			r = SP_GENERATED;
			goto out;
		}
	}
	/* (Not through "..": the lexical name may skip a symlink, such as
	 * /proc/self/root/.., that the walk must follow.) */
	if (!has_dotdot(guest_abs) && procfs_dir_lookup(m, np)) {
		sp->path = np;
		np = NULL;
		r = SP_PROCDIR;
		goto out;
	}
	rest = after_prefix(np, "/proc");
	if (!rest || !*rest)
		goto out;
	if (comp_is(rest, "self") || comp_is(rest, "thread-self")) {
		bool thread = comp_is(rest, "thread-self");
		const char *sub = rest + 1 + comp_len(rest);

		if (*sub && !(comp_is(sub, "task") || (comp_is(sub, "fd") &&
						      !sub[1 + comp_len(sub)]))) {
			r = proc_self(m, t, sub, follow, dirslash, sp);
		} else if (*sub) {
			/* The directories below: /proc/self/fd is /proc/PID/fd
			 * (thread-self's, the thread's directory's). */
			if (thread)
				snprintf(tmp, sizeof(tmp), "/proc/%d/task/%d", t->tgid, t->pid);
			else
				snprintf(tmp, sizeof(tmp), "/proc/%d", t->tgid);
			r = make_redirect(sp, tmp, sub, dirslash);
		} else if (!follow) {
			if (thread)
				snprintf(tmp, sizeof(tmp), "%d/task/%d", t->tgid, t->pid);
			else
				snprintf(tmp, sizeof(tmp), "%d", t->tgid);
			r = make_link(sp, tmp, 0777, 0);
		} else {
			if (thread)
				snprintf(tmp, sizeof(tmp), "/proc/%d/task/%d", t->tgid, t->pid);
			else
				snprintf(tmp, sizeof(tmp), "/proc/%d", t->tgid);
			r = make_redirect(sp, tmp, "", dirslash);
		}
	} else if (comp_number(rest) >= 0) {
		const char *sub = rest + 1 + comp_len(rest);
		struct task_struct *pt = find_task(m, (int)comp_number(rest));

		/* Guest pids only: host pids are never visible. A thread's
		 * own view is below task/TID. */
		if (pt && *sub && comp_is(sub, "task") && comp_number(sub + 1 + comp_len(sub)) >= 0) {
			const char *tidp = sub + 1 + comp_len(sub);
			struct task_struct *th = find_task(m, (int)comp_number(tidp));

			sub = tidp + 1 + comp_len(tidp);
			pt = th && th->tgid == pt->tgid ? th : NULL;
		}
		if (pt && pt->state != TASK_DEAD && *sub)
			r = proc_self(m, pt, sub, follow, dirslash, sp);
		else
			r = -ENOENT;
	}
out:
	free(np);
	return r;
}

/* Reopens the file behind a host fd the way Linux follows /proc/PID/fd/N:
 * through the host's own magic link (a new open file description for
 * regular files, the same pipe for pipes). */
static int reopen_host_fd(int host_fd, int flags, int mode)
{
	char link[40];
	int fd;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", host_fd);
	fd = open(link, flags | O_CLOEXEC, mode);
	return fd < 0 ? -errno : fd;
}

/* Every Linux system has these devices, and containers bind them in: a
 * root that lacks one gets the host's (they are harmless to share). The
 * root's own, if it has one, wins; a missing one is never created there
 * by an O_CREAT open. Returns the host fd, -errno, or 1 for "not one of
 * them: ask the root". */
static int host_device(machine_t *m, const char *guest_abs, int flags, int mode)
{
	static const char *const devices[] = {
		"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty",
	};
	bool dirslash;
	char *np;
	int fd = 1;

	if (strcmp(m->root, "/") == 0 || strncmp(guest_abs, "/dev/", 5) != 0)
		return 1;
	np = normalize(guest_abs, &dirslash);
	if (!np)
		return -ENOMEM;
	for (size_t i = 0; i < sizeof(devices) / sizeof(devices[0]); i++) {
		if (dirslash || strcmp(np, devices[i]) != 0)
			continue;
		fd = root_open(m, np, O_PATH | O_NOFOLLOW, 0);
		if (fd >= 0) {
			close(fd);
			fd = 1;
		} else if (fd == -ENOENT) {
			fd = open(devices[i], flags | O_CLOEXEC, mode);
			fd = fd < 0 ? -errno : fd;
		}
		break;
	}
	free(np);
	return fd;
}

int vfs_lookup(machine_t *m, struct task_struct *t, const char *guest_abs,
	       int flags, int mode, struct vfs_link *link)
{
	char *cur = strdup(guest_abs);
	int r = -ELOOP;

	if (link)
		memset(link, 0, sizeof(*link));
	if (!cur)
		return -ENOMEM;
	for (int i = 0; i < MAX_REDIRECTS; i++) {
		struct special sp;
		int kind;

		memset(&sp, 0, sizeof(sp));
		kind = classify(m, t, cur, !(flags & O_NOFOLLOW), &sp);
		if (kind == SP_REDIRECT) {
			free(cur);
			cur = sp.path;
			continue;
		}
		switch (kind) {
		case SP_NONE:
			r = host_device(m, cur, flags, mode);
			if (r == 1)
				r = root_open(m, cur, flags, mode);
			break;
		case SP_HOSTFD:
			r = reopen_host_fd(sp.host_fd, flags, mode);
			break;
		case SP_GENERATED:
			r = procfs_memfd(cur, sp.path, (size_t)sp.host_fd, flags & ~O_PATH);
			free(sp.path);
			break;
		case SP_PROCDIR:
			r = procfs_dir_open(m, t, sp.path, flags);
			free(sp.path);
			break;
		case SP_LINK:    /* not followed: open(O_NOFOLLOW)'s answer */
			if (link)
				*link = sp.link;
			else
				free(sp.link.target);
			r = -ELOOP;
			break;
		default:
			r = kind;    /* -errno */
			break;
		}
		break;
	}
	free(cur);
	return r;
}

int vfs_lookup_parent(machine_t *m, struct task_struct *t, const char *guest_abs,
		      const char **base)
{
	size_t end = strlen(guest_abs), start;
	char *parent;
	int fd;

	while (end > 0 && guest_abs[end - 1] == '/')
		end--;
	if (end == 0) {
		/* The root itself: "." gives the host's answers for it
		 * (EEXIST for mkdir, EISDIR for unlink, EBUSY for rename). */
		*base = ".";
		return vfs_lookup(m, t, "/", O_PATH | O_DIRECTORY, 0, NULL);
	}
	start = end;
	while (start > 0 && guest_abs[start - 1] != '/')
		start--;
	*base = guest_abs + start;
	parent = start ? strndup(guest_abs, start) : strdup(t->cwd ? t->cwd : "/");
	if (!parent)
		return -ENOMEM;
	fd = vfs_lookup(m, t, parent, O_PATH | O_DIRECTORY, 0, NULL);
	free(parent);
	return fd;
}

char *vfs_host_path(machine_t *m, const char *cwd, const char *path)
{
	char *abs, *host;
	char link[40];
	ssize_t n;
	int fd;

	if (!path || !path[0])
		return NULL;
	abs = path_join(cwd ? cwd : "/", path);
	if (!abs)
		return NULL;
	fd = root_open(m, abs, O_PATH, 0);
	free(abs);
	if (fd < 0)
		return NULL;
	host = malloc(PATH_MAX + 1);
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = host ? readlink(link, host, PATH_MAX + 1) : -1;
	close(fd);
	if (n < 0 || n > PATH_MAX) {
		free(host);
		return NULL;
	}
	host[n] = '\0';
	return host;
}

char *vfs_realpath(machine_t *m, const char *cwd, const char *path)
{
	char *abs, *p;
	int fd;

	if (!path || !path[0])
		return NULL;
	abs = path_join(cwd ? cwd : "/", path);
	if (!abs)
		return NULL;
	fd = root_open(m, abs, O_PATH, 0);
	free(abs);
	if (fd < 0)
		return NULL;
	p = vfs_fd_guest_path(m, fd);
	close(fd);
	return p;
}

char *vfs_exec_path(machine_t *m, struct task_struct *t, const char *path, char **guest,
		    int *err)
{
	char *abs, *host = NULL;
	char link[40];
	ssize_t n;
	int fd;

	if (guest)
		*guest = NULL;
	abs = vfs_guest_path(m, t, AT_FDCWD, path, err);
	if (!abs)
		return NULL;
	fd = vfs_lookup(m, t, abs, O_PATH, 0, NULL);
	free(abs);
	if (fd < 0) {
		*err = fd;
		return NULL;
	}
	*err = -ENOMEM;
	host = malloc(PATH_MAX + 1);
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = host ? readlink(link, host, PATH_MAX + 1) : -1;
	if (n < 0 || n > PATH_MAX) {
		free(host);
		host = NULL;
	} else {
		host[n] = '\0';
		if (guest) {
			*guest = vfs_fd_guest_path(m, fd);
			if (!*guest) {
				free(host);
				host = NULL;
			}
		}
	}
	close(fd);
	return host;
}
