/* det_workload: a multi-process, multi-threaded workload whose output
 * shows everything a deterministic run must repeat: random bytes
 * (getrandom, /dev/urandom, AT_RANDOM), the address-space layout, the
 * clocks, pids, the interleaving of processes and threads through a pipe
 * and a mutex, and the memory counters (/proc/self/smaps_rollup,
 * /proc/vmstat). Under `vmemu --deterministic --seed=N` two runs print the
 * same; natively (or without --deterministic) they differ. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHILDREN 2
#define THREADS 3

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long shared_counter;
static int out_fd;

static void hex(const char *what, const unsigned char *p, size_t n)
{
	printf("%s ", what);
	for (size_t i = 0; i < n; i++)
		printf("%02x", p[i]);
	printf("\n");
}

static long long ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (write(out_fd, buf, (size_t)n) != n)
		_exit(3);
}

struct job {
	int child, id;
	unsigned long result;
};

static void *worker(void *arg)
{
	struct job *j = arg;
	unsigned long x = (unsigned long)j->id * 2654435761u + (unsigned long)j->child;
	struct timespec nap = { 0, 1000000L * (j->id + 1) };

	for (int round = 0; round < 4; round++) {
		for (int i = 0; i < 20000 * (j->id + 1); i++)
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		pthread_mutex_lock(&lock);
		shared_counter++;
		say("child %d thread %d round %d counter %ld t=%lld\n", j->child, j->id, round,
		    shared_counter, ns(CLOCK_MONOTONIC));
		pthread_mutex_unlock(&lock);
		nanosleep(&nap, NULL);
	}
	j->result = x;
	return NULL;
}

static void child(int c)
{
	pthread_t th[THREADS];
	struct job jobs[THREADS];
	unsigned char r[8];

	getrandom(r, sizeof(r), 0);
	say("child %d pid %d ppid %d random %02x%02x%02x%02x\n", c, getpid(), getppid(), r[0], r[1],
	    r[2], r[3]);
	for (int i = 0; i < THREADS; i++) {
		jobs[i] = (struct job){ c, i, 0 };
		pthread_create(&th[i], NULL, worker, &jobs[i]);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		say("child %d joined %d result %lx\n", c, i, jobs[i].result);
	}
	_exit(10 + c);
}

static void cat(const char *path)
{
	char buf[8192];
	int fd = open(path, O_RDONLY);
	ssize_t n;

	printf("--- %s\n", path);
	fflush(stdout);
	if (fd < 0) {
		printf("(cannot open)\n");
		return;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, stdout);
	close(fd);
}

int main(void)
{
	unsigned char buf[16];
	int p[2], fd, status;
	pid_t pids[CHILDREN];
	char *heap, *map;
	int local;

	getrandom(buf, sizeof(buf), 0);
	hex("getrandom", buf, sizeof(buf));
	fd = open("/dev/urandom", O_RDONLY);
	if (fd >= 0 && read(fd, buf, 8) == 8)
		hex("urandom", buf, 8);
	close(fd);
	hex("AT_RANDOM", (const unsigned char *)getauxval(AT_RANDOM), 16);
	heap = malloc(100);
	map = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	printf("stack %p heap %p mmap %p\n", (void *)&local, (void *)heap, (void *)map);
	memset(map, 1, 1 << 20);
	printf("pid %d monotonic %lld realtime %lld\n", getpid(), ns(CLOCK_MONOTONIC),
	       ns(CLOCK_REALTIME));
	fflush(stdout);

	if (pipe(p))
		return 1;
	out_fd = p[1];
	for (int c = 0; c < CHILDREN; c++) {
		pids[c] = fork();
		if (pids[c] == 0) {
			close(p[0]);
			child(c);
		}
	}
	close(p[1]);
	for (;;) {
		struct pollfd pf = { p[0], POLLIN, 0 };
		char line[4096];
		ssize_t n;
		int r = poll(&pf, 1, 5);

		if (r == 0) {
			printf("poll timeout at %lld\n", ns(CLOCK_MONOTONIC));
			continue;
		}
		n = read(p[0], line, sizeof(line));
		if (n <= 0)
			break;
		fwrite(line, 1, (size_t)n, stdout);
	}
	for (int c = 0; c < CHILDREN; c++) {
		waitpid(pids[c], &status, 0);
		printf("child %d (pid %d) exit %d\n", c, pids[c], WEXITSTATUS(status));
	}
	printf("end monotonic %lld cputime %lld\n", ns(CLOCK_MONOTONIC),
	       ns(CLOCK_PROCESS_CPUTIME_ID));
	fflush(stdout);
	cat("/proc/self/smaps_rollup");
	cat("/proc/vmstat");
	return 0;
}
