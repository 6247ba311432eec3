/* procfs: what a program finds in /proc — its own and its child's
 * directories, /proc/PID/stat's fields, /proc/stat, uptime, loadavg,
 * swaps — printing facts that hold on any Linux, for comparison with a
 * native run. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *yes(int c)
{
	return c ? "yes" : "no";
}

static int read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return (int)n;
}

/* /proc/PID/stat split after the comm (which may hold spaces). */
static int stat_fields(const char *path, char *comm, size_t clen, char **field, int max,
		       char *buf, size_t blen)
{
	char *open_p, *close_p, *save;
	int n = 0;

	if (read_file(path, buf, blen) <= 0)
		return -1;
	open_p = strchr(buf, '(');
	close_p = strrchr(buf, ')');
	if (!open_p || !close_p)
		return -1;
	snprintf(comm, clen, "%.*s", (int)(close_p - open_p - 1), open_p + 1);
	field[n++] = buf;                 /* the pid */
	*(open_p - 1) = '\0';
	for (char *tok = strtok_r(close_p + 2, " \n", &save); tok && n < max;
	     tok = strtok_r(NULL, " \n", &save))
		field[n++] = tok;
	return n;
}

static int in_dir(const char *dir, const char *name)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int found = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (!strcmp(de->d_name, name))
			found = 1 + (de->d_type == DT_DIR) * 2 + (de->d_type == DT_LNK) * 4;
	closedir(d);
	return found;
}

int main(void)
{
	char buf[4096], comm[64], path[64], name[32], link[256];
	char *f[64];
	int pipefd[2], n, status;
	pid_t child;
	struct stat st;
	ssize_t ln;

	setvbuf(stdout, NULL, _IOLBF, 0);
	n = stat_fields("/proc/self/stat", comm, sizeof(comm), f, 64, buf, sizeof(buf));
	printf("/proc/self/stat: %d fields, pid %s, comm (%s), state %s\n", n,
	       atoi(f[0]) == getpid() ? "= getpid()" : f[0], comm, f[1]);
	printf("  ppid = getppid(): %s, pgrp = getpgrp(): %s, session = getsid(0): %s\n",
	       yes(atoi(f[2]) == getppid()), yes(atoi(f[3]) == getpgrp()),
	       yes(atoi(f[4]) == getsid(0)));
	/* (Not rss: Linux batches each thread's rss counts, so a small
	 * process may still show 0 there.) */
	printf("  num_threads %s, vsize > 0: %s, exit_signal %s\n", f[18], yes(atoll(f[21]) > 0),
	       f[36]);

	snprintf(name, sizeof(name), "%d", getpid());
	printf("/proc lists this process as a directory: %s\n", yes(in_dir("/proc", name) == 3));
	printf("/proc/self is a symlink in /proc: %s\n", yes(in_dir("/proc", "self") == 5));
	ln = readlink("/proc/self", link, sizeof(link) - 1);
	link[ln > 0 ? ln : 0] = '\0';
	printf("/proc/self -> own pid: %s\n", yes(!strcmp(link, name)));
	printf("/proc/self/ has stat, status, maps, fd, exe: %s %s %s %s %s\n",
	       yes(in_dir("/proc/self", "stat") == 1), yes(in_dir("/proc/self", "status") == 1),
	       yes(in_dir("/proc/self", "maps") == 1), yes(in_dir("/proc/self", "fd") == 3),
	       yes(in_dir("/proc/self", "exe") == 5));
	printf("/proc/self/fd lists 0, 1, 2: %s %s %s\n", yes(in_dir("/proc/self/fd", "0") == 5),
	       yes(in_dir("/proc/self/fd", "1") == 5), yes(in_dir("/proc/self/fd", "2") == 5));
	snprintf(path, sizeof(path), "/proc/self/task/%d", getpid());
	printf("/proc/self/task/<tid> is a directory: %s\n",
	       yes(stat(path, &st) == 0 && S_ISDIR(st.st_mode)));
	printf("stat(\"/proc\") is a directory: %s\n", yes(stat("/proc", &st) == 0 && S_ISDIR(st.st_mode)));

	/* A child: its directory appears, its stat names it, and it goes
	 * away once reaped. */
	if (pipe(pipefd))
		return 1;
	child = fork();
	if (child == 0) {
		char c;

		close(pipefd[1]);
		read(pipefd[0], &c, 1);
		_exit(3);
	}
	close(pipefd[0]);
	snprintf(name, sizeof(name), "%d", child);
	snprintf(path, sizeof(path), "/proc/%d/stat", child);
	printf("child listed in /proc: %s\n", yes(in_dir("/proc", name) == 3));
	/* Asleep in its read once it gets there. */
	for (int i = 0; i < 1000; i++) {
		n = stat_fields(path, comm, sizeof(comm), f, 64, buf, sizeof(buf));
		if (n > 1 && f[1][0] == 'S')
			break;
		usleep(1000);
	}
	printf("child's stat: %d fields, ppid is us: %s, state %s\n", n,
	       yes(n > 3 && atoi(f[2]) == getpid()), n > 1 ? f[1] : "?");
	write(pipefd[1], "x", 1);
	close(pipefd[1]);
	/* A zombie until reaped. */
	for (int i = 0; i < 1000; i++) {
		n = stat_fields(path, comm, sizeof(comm), f, 64, buf, sizeof(buf));
		if (n > 1 && f[1][0] == 'Z')
			break;
		usleep(1000);
	}
	printf("exited child: state %s\n", n > 1 ? f[1] : "?");
	waitpid(child, &status, 0);
	printf("reaped child gone from /proc: %s, its stat: %s\n", yes(in_dir("/proc", name) == 0),
	       open(path, O_RDONLY) < 0 ? strerror(errno) : "still there");

	/* /proc/self/pagemap: present, exclusive, file bits of three pages. */
	{
		char *anon = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		int fd = open("/proc/self/pagemap", O_RDONLY);
		int self = open("/proc/self/exe", O_RDONLY);
		char *file = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, self, 0);
		uint64_t e[3], fe;
		volatile char sink;

		anon[0] = 1;                   /* page 0 written, page 1 read, page 2 untouched */
		sink = anon[4096];
		sink = file[0];
		(void)sink;
		pread(fd, e, sizeof(e), (off_t)((uintptr_t)anon / 4096 * 8));
		pread(fd, &fe, sizeof(fe), (off_t)((uintptr_t)file / 4096 * 8));
		printf("pagemap written page: present %d exclusive %d file %d\n", (int)(e[0] >> 63),
		       (int)(e[0] >> 56 & 1), (int)(e[0] >> 61 & 1));
		printf("pagemap read-only anon page: present %d file %d\n", (int)(e[1] >> 63),
		       (int)(e[1] >> 61 & 1));
		printf("pagemap untouched page: %llu\n", (unsigned long long)e[2]);
		printf("pagemap file page: present %d file %d\n", (int)(fe >> 63), (int)(fe >> 61 & 1));
		{
			ssize_t r = pread(fd, e, 4, 0);

			printf("pagemap unaligned read: %zd %s\n", r, r < 0 ? strerror(errno) : "");
		}
		close(fd);
		close(self);
	}

	n = read_file("/proc/stat", buf, sizeof(buf));
	printf("/proc/stat starts with a cpu line: %s, has btime: %s, processes: %s\n",
	       yes(!strncmp(buf, "cpu  ", 5)), yes(strstr(buf, "\nbtime ") != NULL),
	       yes(strstr(buf, "\nprocesses ") != NULL));
	{
		double up, idle;
		float l1, l5, l15;
		int run, total, last;

		read_file("/proc/uptime", buf, sizeof(buf));
		printf("/proc/uptime: two numbers: %s\n", yes(sscanf(buf, "%lf %lf", &up, &idle) == 2));
		read_file("/proc/loadavg", buf, sizeof(buf));
		printf("/proc/loadavg: %s\n",
		       yes(sscanf(buf, "%f %f %f %d/%d %d", &l1, &l5, &l15, &run, &total, &last) == 6 &&
			   run >= 1 && total >= run));
	}
	read_file("/proc/swaps", buf, sizeof(buf));
	{
		static const char head[] = "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n";

		printf("/proc/swaps header: %s\n", yes(!strncmp(buf, head, sizeof(head) - 1)));
	}
	return 0;
}
