/* /proc's directories: /proc, /proc/PID, /proc/PID/fd, /proc/PID/task and
 * /proc/PID/task/TID, listing the guest's processes, threads and open
 * files (never the host's). Each is made, when the guest opens it, as a
 * real directory below a private host directory (made at first use,
 * removed with the machine), holding one placeholder per entry — empty
 * files, empty directories, symlinks to what Linux's point to — so that
 * getdents64, fstat, fchdir and openat work on it as on any directory.
 * The files themselves are never read from there: vfs.c resolves every
 * path below /proc to the generated contents first. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "procfs.h"
#include "vfs.h"

struct proc_entry {
	char name[24];
	unsigned char type;            /* DT_REG, DT_DIR or DT_LNK */
	char *target;                  /* DT_LNK: where it points (owned) */
};

struct entry_list {
	struct proc_entry *v;
	size_t n, cap;
	int err;
};

/* The files of /proc itself and of every /proc/PID (procfs.c makes them). */
static const char *const proc_files[] = {
	"cpuinfo", "meminfo", "vmstat", "stat", "uptime", "loadavg", "swaps", "zoneinfo",
	"buddyinfo", "pagetypeinfo",
};
static const char *const pid_files[] = {
	"maps", "smaps", "smaps_rollup", "status", "statm", "stat", "comm", "cmdline",
	"environ", "oom_score", "oom_score_adj", "pagemap", "auxv",
};

static void add(struct entry_list *l, unsigned char type, const char *target, const char *fmt,
		...) __attribute__((format(printf, 4, 5)));

static void add(struct entry_list *l, unsigned char type, const char *target, const char *fmt,
		...)
{
	struct proc_entry *e;
	va_list ap;

	if (l->err)
		return;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 32;
		struct proc_entry *v = realloc(l->v, cap * sizeof(*v));

		if (!v) {
			l->err = -ENOMEM;
			return;
		}
		l->v = v;
		l->cap = cap;
	}
	e = &l->v[l->n];
	va_start(ap, fmt);
	vsnprintf(e->name, sizeof(e->name), fmt, ap);
	va_end(ap);
	e->type = type;
	e->target = NULL;
	if (target && !(e->target = strdup(target))) {
		l->err = -ENOMEM;
		return;
	}
	l->n++;
}

static void entries_free(struct entry_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].target);
	free(l->v);
}

static const struct proc_entry *find_entry(const struct entry_list *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].name, name))
			return &l->v[i];
	return NULL;
}

/* ---- what each directory holds ---- */

static void list_proc(machine_t *m, struct task_struct *t, struct entry_list *l)
{
	char buf[48];

	for (struct task_struct *o = m->tasks; o; o = o->next)
		if (o->pid == o->tgid && o->state != TASK_DEAD)
			add(l, DT_DIR, NULL, "%d", o->tgid);
	snprintf(buf, sizeof(buf), "%d", t->tgid);
	add(l, DT_LNK, buf, "self");
	snprintf(buf, sizeof(buf), "%d/task/%d", t->tgid, t->pid);
	add(l, DT_LNK, buf, "thread-self");
	for (size_t i = 0; i < sizeof(proc_files) / sizeof(proc_files[0]); i++)
		add(l, DT_REG, NULL, "%s", proc_files[i]);
	add(l, DT_DIR, NULL, "sys");
}

/* /proc/PID (task is the leader) and /proc/PID/task/TID (a thread). */
static void list_pid(struct task_struct *p, bool leader, struct entry_list *l)
{
	for (size_t i = 0; i < sizeof(pid_files) / sizeof(pid_files[0]); i++)
		add(l, DT_REG, NULL, "%s", pid_files[i]);
	if (p->state != TASK_ZOMBIE) {
		add(l, DT_LNK, p->exe_path ? p->exe_path : "", "exe");
		add(l, DT_LNK, p->cwd ? p->cwd : "/", "cwd");
		add(l, DT_LNK, "/", "root");
	}
	add(l, DT_DIR, NULL, "fd");
	if (leader)
		add(l, DT_DIR, NULL, "task");
}

static void list_fd(machine_t *m, struct task_struct *p, struct entry_list *l)
{
	if (!p->files || p->state == TASK_ZOMBIE)
		return;
	for (int fd = 0; fd < NR_OPEN_DEFAULT; fd++) {
		struct vfile *f = p->files->fd[fd];
		char *fresh;

		if (!f)
			continue;
		fresh = f->kind == VFILE_HOST && !f->generated ? vfs_fd_guest_path(m, f->host_fd)
							       : NULL;
		add(l, DT_LNK, fresh ? fresh : f->path ? f->path : "", "%d", fd);
		free(fresh);
	}
}

static void list_task(machine_t *m, struct task_struct *p, struct entry_list *l)
{
	for (struct task_struct *o = m->tasks; o; o = o->next)
		if (o->tgid == p->tgid && o->state != TASK_DEAD)
			add(l, DT_DIR, NULL, "%d", o->pid);
}

/* ---- the host directories ---- */

/* Removes path (relative to dirfd) and everything below it. */
static void remove_tree(int dirfd, const char *name)
{
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd >= 0) {
		DIR *d = fdopendir(fd);
		struct dirent *de;

		if (d) {
			fchmod(fd, 0755);
			while ((de = readdir(d)))
				if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
					remove_tree(fd, de->d_name);
			closedir(d);
		} else {
			close(fd);
		}
		unlinkat(dirfd, name, AT_REMOVEDIR);
	} else {
		unlinkat(dirfd, name, 0);
	}
}

static bool entry_matches(int dirfd, const struct dirent *de, const struct proc_entry *e)
{
	char target[PATH_MAX];
	ssize_t n;

	if (de->d_type != e->type)
		return false;
	if (e->type != DT_LNK)
		return true;
	n = readlinkat(dirfd, de->d_name, target, sizeof(target) - 1);
	if (n < 0)
		return false;
	target[n] = '\0';
	return !strcmp(target, e->target);
}

/* Makes the host directory path hold exactly the entries of l. */
static int sync_dir(const char *path, const struct entry_list *l)
{
	int dirfd, err = 0;
	DIR *d;
	struct dirent *de;
	bool *present;

	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return -errno;
	chmod(path, 0755);
	dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return -errno;
	present = calloc(l->n + 1, sizeof(*present));
	d = fdopendir(dup(dirfd));
	if (!present || !d) {
		free(present);
		if (d)
			closedir(d);
		close(dirfd);
		return -ENOMEM;
	}
	while ((de = readdir(d))) {
		const struct proc_entry *e;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		e = find_entry(l, de->d_name);
		if (e && entry_matches(dirfd, de, e))
			present[e - l->v] = true;
		else
			remove_tree(dirfd, de->d_name);
	}
	closedir(d);
	for (size_t i = 0; i < l->n && !err; i++) {
		const struct proc_entry *e = &l->v[i];
		int fd;

		if (present[i])
			continue;
		if (e->type == DT_DIR) {
			if (mkdirat(dirfd, e->name, 0555) < 0)
				err = -errno;
		} else if (e->type == DT_LNK) {
			if (symlinkat(e->target, dirfd, e->name) < 0)
				err = -errno;
		} else {
			fd = openat(dirfd, e->name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
			if (fd < 0)
				err = -errno;
			else
				close(fd);
		}
	}
	fchmod(dirfd, 0555);
	free(present);
	close(dirfd);
	return err;
}

/* The private host directory, made on first use. */
static const char *host_base(machine_t *m)
{
	const char *tmp = getenv("TMPDIR");
	char *dir;

	if (m->procfs_host_dir)
		return m->procfs_host_dir;
	if (asprintf(&dir, "%s/vmemu-proc.XXXXXX", tmp && *tmp ? tmp : "/tmp") < 0)
		return NULL;
	if (!mkdtemp(dir)) {
		free(dir);
		return NULL;
	}
	m->procfs_host_dir = dir;
	return dir;
}

void procfs_dir_cleanup(machine_t *m)
{
	char *dir = m->procfs_host_dir, *slash;

	if (!dir)
		return;
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		int parent;

		*slash = '\0';
		parent = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		*slash = '/';
		if (parent >= 0) {
			remove_tree(parent, slash + 1);
			close(parent);
		}
	}
	free(dir);
	m->procfs_host_dir = NULL;
}

/* A decimal component of a /proc path, or -1. */
static long component_number(const char **p)
{
	const char *s = *p;
	long v = 0;
	int digits = 0;

	if (*s == '0' && s[1] && s[1] != '/')
		return -1;
	while (*s >= '0' && *s <= '9' && digits < 9) {
		v = v * 10 + (*s++ - '0');
		digits++;
	}
	if (!digits || (*s && *s != '/'))
		return -1;
	*p = s;
	return v;
}

int procfs_dir_lookup(machine_t *m, const char *guest_abs)
{
	const char *p;
	struct task_struct *leader, *thread;
	long pid, tid;

	if (!strcmp(guest_abs, "/proc"))
		return 1;
	if (strncmp(guest_abs, "/proc/", 6))
		return 0;
	p = guest_abs + 6;
	if ((pid = component_number(&p)) < 0)
		return 0;
	leader = find_task(m, (int)pid);
	if (!leader || leader->state == TASK_DEAD)
		return 0;
	if (!*p)
		return 1;                     /* /proc/PID */
	if (!strcmp(p, "/fd") || !strcmp(p, "/task"))
		return 1;
	if (strncmp(p, "/task/", 6))
		return 0;
	p += 6;
	if ((tid = component_number(&p)) < 0)
		return 0;
	thread = find_task(m, (int)tid);
	if (!thread || thread->tgid != leader->tgid || thread->state == TASK_DEAD)
		return 0;
	return !*p || !strcmp(p, "/fd");
}

int procfs_dir_open(machine_t *m, struct task_struct *t, const char *guest_abs, int flags)
{
	struct entry_list l = { 0 };
	const char *base = host_base(m), *p;
	struct task_struct *task = NULL;
	char *host = NULL;
	int r, fd;

	if (!base)
		return -ENOMEM;
	if (!procfs_dir_lookup(m, guest_abs))
		return -ENOENT;
	if (!strcmp(guest_abs, "/proc")) {
		list_proc(m, t, &l);
	} else {
		long pid, tid;

		p = guest_abs + 6;
		pid = component_number(&p);
		task = find_task(m, (int)pid);
		if (!task)
			return -ENOENT;
		/* /proc/PID of a thread is that thread's view (as Linux lets
		 * /proc/TID be opened though it is not listed). */
		if (!strncmp(p, "/task/", 6)) {
			p += 6;
			tid = component_number(&p);
			task = find_task(m, (int)tid);
			if (!task)
				return -ENOENT;
			if (!*p)
				list_pid(task, false, &l);
		} else if (!strcmp(p, "/task")) {
			list_task(m, task, &l);
		} else if (!*p) {
			list_pid(task, task->pid == task->tgid, &l);
		}
		if (!strcmp(p, "/fd"))
			list_fd(m, task, &l);
	}
	if (l.err) {
		entries_free(&l);
		return l.err;
	}
	/* Parents first: /proc and /proc/PID must exist to hold the rest. */
	if (asprintf(&host, "%s%s", base, guest_abs) < 0) {
		entries_free(&l);
		return -ENOMEM;
	}
	for (char *s = host + strlen(base) + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		if (mkdir(host, 0755) < 0 && errno != EEXIST) {
			*s = '/';
			break;
		}
		*s = '/';
	}
	r = sync_dir(host, &l);
	entries_free(&l);
	if (r < 0) {
		free(host);
		return r;
	}
	fd = open(host, (flags & ~(O_CREAT | O_TRUNC | O_ACCMODE | O_EXCL)) | O_RDONLY | O_CLOEXEC);
	r = fd < 0 ? -errno : fd;
	free(host);
	if ((flags & O_ACCMODE) != O_RDONLY && !(flags & O_PATH) && r >= 0) {
		close(r);
		return -EISDIR;
	}
	return r;
}

char *procfs_dir_guest_path(machine_t *m, const char *host_path)
{
	size_t bl;

	if (!m->procfs_host_dir)
		return NULL;
	bl = strlen(m->procfs_host_dir);
	if (strncmp(host_path, m->procfs_host_dir, bl) || strncmp(host_path + bl, "/proc", 5))
		return NULL;
	return strdup(host_path + bl);
}
