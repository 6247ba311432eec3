/* The vmemu program: command-line handling over the public libvmemu API. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include <vmemu/vmemu.h>

extern char **environ;

static const char *progname = "vmemu";

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: %s [OPTION]... PROGRAM [ARG]...\n"
		"Run a static x86-64 Linux PROGRAM under a guest kernel with a Linux-like\n"
		"memory manager.\n"
		"\n"
		"  -m, --mem=SIZE        guest RAM (default 256M; K, M, G suffixes)\n"
		"      --root=DIR        host directory the guest sees as / (default /)\n"
		"      --deterministic   virtual clock, seeded randomness and layout\n"
		"                        (also when VMEMU_DETERMINISTIC=1 is set)\n"
		"      --seed=N          seed for --deterministic (default 0)\n"
		"      --net=MODE        IP sockets: loopback (default), none or host\n"
		"      --timeout=DURATION  end the run after DURATION (s, m, h, d\n"
		"                        suffixes) with exit status 124\n"
		"      --swap=SIZE       compressed swap in host memory (default half of\n"
		"                        --mem; 0 disables swap)\n"
		"      --swappiness=N    0..200: how readily anon memory is swapped (60)\n"
		"      --swap-level=N    zlib compression level of swap, 0..9 (default 1)\n"
		"      --oom-score-adj=N the first process's oom_score_adj (-1000..1000)\n"
		"      --memcg-limit=SIZE  put the guest in a memory cgroup with this\n"
		"                        memory.max (reclaim and OOM below --mem)\n"
		"      --strace          print each syscall on stderr\n"
		"      --trace=mm        print page faults that raise signals\n"
		"  -v, --verbose         report unknown syscalls and other notices\n"
		"  -h, --help            display this help and exit\n"
		"  -V, --version         output version information and exit\n"
		"\n"
		"The guest's exit status is vmemu's; a guest killed by signal N makes\n"
		"vmemu exit with 128+N. vmemu exits 127 when PROGRAM is not found, 126\n"
		"when it cannot be executed, 124 on --timeout, and 2 on a usage error.\n"
		"SIGINT, SIGTERM, SIGHUP, SIGQUIT and SIGWINCH sent to vmemu go to the\n"
		"guest's foreground process group.\n",
		progname);
}

static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -1;
	switch (*end) {
	case 'k': case 'K': v <<= 10; end++; break;
	case 'm': case 'M': v <<= 20; end++; break;
	case 'g': case 'G': v <<= 30; end++; break;
	case 0: break;
	default: return -1;
	}
	if (*end == 'i' && end[1] == 'B')
		end += 2;
	else if (*end == 'B')
		end++;
	if (*end)
		return -1;
	*out = v;
	return 0;
}

struct log_state {
	int verbose;
};

static void log_to_stderr(void *ctx, int level, const char *msg)
{
	struct log_state *ls = ctx;

	if (level >= VMEMU_LOG_DEBUG && !ls->verbose)
		return;
	fprintf(stderr, "%s: %s\n", progname, msg);
}

/* Host signals: forwarded to the running machine (async-signal-safe). */
static vmemu_machine *running;
static volatile sig_atomic_t timed_out;

static void forward_signal(int sig)
{
	vmemu_machine_signal(running, sig);
}

static void on_timeout(int sig)
{
	(void)sig;
	timed_out = 1;
	vmemu_machine_stop(running);
}

/* No SA_RESTART: a host call blocked for the guest returns EINTR, and the
 * guest kernel turns that into its own restart once the signal is in. */
static void install_handlers(void)
{
	static const int fwd[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGWINCH };
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = forward_signal;
	for (unsigned int i = 0; i < sizeof(fwd) / sizeof(fwd[0]); i++)
		sigaction(fwd[i], &sa, NULL);
	sa.sa_handler = on_timeout;
	sigaction(SIGALRM, &sa, NULL);
}

/* timeout(1)'s DURATION: a number (fractions allowed) with an optional
 * s, m, h or d suffix. */
static int parse_duration(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || v < 0)
		return -1;
	switch (*end) {
	case 's': end++; break;
	case 'm': v *= 60; end++; break;
	case 'h': v *= 3600; end++; break;
	case 'd': v *= 86400; end++; break;
	}
	if (*end)
		return -1;
	*out = v;
	return 0;
}

/* What a shell prints when its foreground job dies of a signal. */
static void report_signal_death(int sig)
{
	if (sig == SIGINT || sig == SIGPIPE)
		return;
	fprintf(stderr, "%s\n", strsignal(sig));
}

int main(int argc, char **argv)
{
	enum { OPT_ROOT = 256, OPT_DET, OPT_SEED, OPT_STRACE, OPT_TRACE, OPT_NET, OPT_TIMEOUT,
	       OPT_SWAP, OPT_SWAPPINESS, OPT_SWAP_LEVEL, OPT_OOM_ADJ, OPT_MEMCG };
	static const struct option longopts[] = {
		{ "mem", required_argument, NULL, 'm' },
		{ "root", required_argument, NULL, OPT_ROOT },
		{ "deterministic", no_argument, NULL, OPT_DET },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "strace", no_argument, NULL, OPT_STRACE },
		{ "trace", required_argument, NULL, OPT_TRACE },
		{ "net", required_argument, NULL, OPT_NET },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "swap", required_argument, NULL, OPT_SWAP },
		{ "swappiness", required_argument, NULL, OPT_SWAPPINESS },
		{ "swap-level", required_argument, NULL, OPT_SWAP_LEVEL },
		{ "oom-score-adj", required_argument, NULL, OPT_OOM_ADJ },
		{ "memcg-limit", required_argument, NULL, OPT_MEMCG },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct vmemu_config cfg;
	struct log_state ls = { 0 };
	vmemu_machine *m;
	char err[256];
	int c, status, rc;
	double timeout_s = 0;
	const char *timeout_arg = NULL;

	vmemu_config_init(&cfg);
	cfg.log = log_to_stderr;
	cfg.log_ctx = &ls;
	/* The test driver's way of asking for deterministic runs. */
	if (getenv("VMEMU_DETERMINISTIC") && atoi(getenv("VMEMU_DETERMINISTIC")) > 0)
		cfg.deterministic = 1;
	/* Options end at the program name: the guest's own options follow. */
	while ((c = getopt_long(argc, argv, "+m:vhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'm':
			if (parse_size(optarg, &cfg.mem_bytes) || cfg.mem_bytes < (4 << 20) ||
			    cfg.mem_bytes % 4096) {
				fprintf(stderr, "%s: invalid memory size '%s' (at least 4M, a multiple of 4K)\n",
					progname, optarg);
				return 2;
			}
			break;
		case OPT_ROOT:
			cfg.root = optarg;
			break;
		case OPT_DET:
			cfg.deterministic = 1;
			break;
		case OPT_SEED: {
			char *end;

			cfg.seed = strtoull(optarg, &end, 0);
			if (*end || end == optarg) {
				fprintf(stderr, "%s: invalid seed '%s'\n", progname, optarg);
				return 2;
			}
			break;
		}
		case OPT_STRACE:
			cfg.trace |= VMEMU_TRACE_SYSCALLS;
			break;
		case OPT_TRACE:
			if (strcmp(optarg, "mm")) {
				fprintf(stderr, "%s: unknown trace category '%s' (known: mm)\n",
					progname, optarg);
				return 2;
			}
			cfg.trace |= VMEMU_TRACE_MM;
			break;
		case OPT_NET:
			if (!strcmp(optarg, "loopback"))
				cfg.net = VMEMU_NET_LOOPBACK;
			else if (!strcmp(optarg, "none"))
				cfg.net = VMEMU_NET_NONE;
			else if (!strcmp(optarg, "host"))
				cfg.net = VMEMU_NET_HOST;
			else {
				fprintf(stderr, "%s: unknown network mode '%s' (known: loopback, none, host)\n",
					progname, optarg);
				return 2;
			}
			break;
		case OPT_TIMEOUT:
			if (parse_duration(optarg, &timeout_s)) {
				fprintf(stderr, "%s: invalid time interval '%s'\n", progname, optarg);
				return 2;
			}
			timeout_arg = optarg;
			break;
		case OPT_SWAP: {
			uint64_t bytes;

			if (parse_size(optarg, &bytes) || (int64_t)bytes < 0) {
				fprintf(stderr, "%s: invalid swap size '%s'\n", progname, optarg);
				return 2;
			}
			cfg.swap_bytes = (int64_t)bytes;
			break;
		}
		case OPT_MEMCG:
			if (parse_size(optarg, &cfg.memcg_limit_bytes) || !cfg.memcg_limit_bytes) {
				fprintf(stderr, "%s: invalid memory cgroup limit '%s'\n", progname, optarg);
				return 2;
			}
			break;
		case OPT_SWAPPINESS:
		case OPT_SWAP_LEVEL:
		case OPT_OOM_ADJ: {
			char *end;
			long v = strtol(optarg, &end, 10);
			long lo = c == OPT_OOM_ADJ ? -1000 : 0;
			long hi = c == OPT_SWAPPINESS ? 200 : c == OPT_SWAP_LEVEL ? 9 : 1000;

			if (*end || end == optarg || v < lo || v > hi) {
				fprintf(stderr, "%s: invalid value '%s' for --%s (%ld..%ld)\n", progname,
					optarg, c == OPT_SWAPPINESS ? "swappiness" :
					c == OPT_SWAP_LEVEL ? "swap-level" : "oom-score-adj", lo, hi);
				return 2;
			}
			if (c == OPT_SWAPPINESS)
				cfg.swappiness = (int)v;
			else if (c == OPT_SWAP_LEVEL)
				cfg.swap_level = (int)v;
			else
				cfg.oom_score_adj = (int)v;
			break;
		}
		case 'v':
			cfg.verbose = ls.verbose = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("vmemu %s\n", VMEMU_VERSION_STRING);
			return 0;
		default:
			fprintf(stderr, "Try '%s --help' for more information.\n", progname);
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "%s: missing program to run\n", progname);
		fprintf(stderr, "Try '%s --help' for more information.\n", progname);
		return 2;
	}

	rc = vmemu_machine_create(&cfg, &m);
	if (rc) {
		if (rc == VMEMU_ERR_INVAL && cfg.root)
			fprintf(stderr, "%s: %s: cannot use as root directory\n", progname, cfg.root);
		else
			fprintf(stderr, "%s: cannot create machine: %s\n", progname, vmemu_strerror(rc));
		return rc == VMEMU_ERR_INVAL ? 2 : 1;
	}
	rc = vmemu_spawn(m, argv[optind], &argv[optind], environ, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "%s: %s: %s\n", progname, argv[optind], err);
		vmemu_machine_destroy(m);
		return rc == VMEMU_ERR_NOENT ? 127 : rc == VMEMU_ERR_NOMEM ? 1 : 126;
	}
	running = m;
	install_handlers();
	if (timeout_s > 0) {
		struct itimerval it = { { 0, 0 }, { (time_t)timeout_s,
			(suseconds_t)((timeout_s - (double)(time_t)timeout_s) * 1e6) } };

		if (!it.it_value.tv_sec && !it.it_value.tv_usec)
			it.it_value.tv_usec = 1;
		setitimer(ITIMER_REAL, &it, NULL);
	}
	rc = vmemu_run(m, &status);
	if (timeout_s > 0)
		setitimer(ITIMER_REAL, &(struct itimerval){ { 0, 0 }, { 0, 0 } }, NULL);
	running = NULL;
	vmemu_machine_destroy(m);
	if (timed_out) {
		fflush(stdout);
		fprintf(stderr, "%s: timed out after %s\n", progname, timeout_arg);
		return 124;
	}
	if (rc) {
		fprintf(stderr, "%s: %s\n", progname, vmemu_strerror(rc));
		return 1;
	}
	fflush(stdout);
	if ((status & 0x7f) == 0)
		return (status >> 8) & 0xff;
	report_signal_death(status & 0x7f);
	return 128 + (status & 0x7f);
}
