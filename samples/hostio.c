/* hostio: a guest task waiting on the host while others run, and host
 * signals reaching the guest.
 *   hostio read      a child ticks (nanosleep) while the parent blocks
 *                    reading stdin; the ticks come first when the host
 *                    writes stdin late.
 *   hostio sig N     prints "ready", then blocks reading stdin with a
 *                    SIGINT/SIGTERM/SIGHUP handler (N=1: with a sleeping
 *                    child alive, so the read sleeps in the guest kernel);
 *                    prints the signal and how the read ended.
 *   hostio sleep S   sleeps S seconds in a loop of 10 ms naps.
 *   hostio spin      computes for ever (for --timeout). */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t got;

static void on_sig(int sig)
{
	got = sig;
}

static void nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static int do_read(void)
{
	char buf[256];
	ssize_t n;
	pid_t c = fork();

	if (c == 0) {
		for (int i = 0; i < 5; i++) {
			nap_ms(20);
			printf("tick %d\n", i);
			fflush(stdout);
		}
		_exit(0);
	}
	n = read(0, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = 0;
	waitpid(c, NULL, 0);
	printf("got: %s", buf);
	return 0;
}

static int do_sig(int with_child)
{
	struct sigaction sa;
	char buf[64];
	ssize_t n;
	pid_t c = -1;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sig;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	if (with_child && (c = fork()) == 0) {
		nap_ms(20000);
		_exit(0);
	}
	printf("ready\n");
	fflush(stdout);
	n = read(0, buf, sizeof(buf));
	printf("signal %s, read %s\n", got == SIGINT ? "SIGINT" : got == SIGTERM ? "SIGTERM" :
	       got == SIGHUP ? "SIGHUP" : "none", n < 0 && errno == EINTR ? "EINTR" : "returned");
	if (c > 0) {
		kill(c, SIGKILL);
		waitpid(c, NULL, 0);
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "read"))
		return do_read();
	if (argc >= 3 && !strcmp(argv[1], "sig"))
		return do_sig(atoi(argv[2]));
	if (argc >= 3 && !strcmp(argv[1], "sleep")) {
		for (long i = 0; i < atol(argv[2]) * 100; i++)
			nap_ms(10);
		return 0;
	}
	if (argc >= 2 && !strcmp(argv[1], "spin")) {
		volatile unsigned long x = 0;

		for (;;)
			x++;
	}
	fprintf(stderr, "usage: hostio read | sig N | sleep S | spin\n");
	return 2;
}
