/* The vmemu program: command-line handling over the public libvmemu API. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
		"      --deterministic   fixed layout and seeded randomness\n"
		"      --seed=N          seed for --deterministic (default 0)\n"
		"      --strace          print each syscall on stderr\n"
		"      --trace=mm        print page faults that raise signals\n"
		"  -v, --verbose         report unknown syscalls and other notices\n"
		"  -h, --help            display this help and exit\n"
		"  -V, --version         output version information and exit\n"
		"\n"
		"The guest's exit status is vmemu's; a guest killed by signal N makes\n"
		"vmemu exit with 128+N. vmemu exits 127 when PROGRAM is not found, 126\n"
		"when it cannot be executed, and 2 on a usage error.\n",
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

/* What a shell prints when its foreground job dies of a signal. */
static void report_signal_death(int sig)
{
	if (sig == SIGINT || sig == SIGPIPE)
		return;
	fprintf(stderr, "%s\n", strsignal(sig));
}

int main(int argc, char **argv)
{
	enum { OPT_ROOT = 256, OPT_DET, OPT_SEED, OPT_STRACE, OPT_TRACE };
	static const struct option longopts[] = {
		{ "mem", required_argument, NULL, 'm' },
		{ "root", required_argument, NULL, OPT_ROOT },
		{ "deterministic", no_argument, NULL, OPT_DET },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "strace", no_argument, NULL, OPT_STRACE },
		{ "trace", required_argument, NULL, OPT_TRACE },
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

	vmemu_config_init(&cfg);
	cfg.log = log_to_stderr;
	cfg.log_ctx = &ls;
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
	rc = vmemu_run(m, &status);
	vmemu_machine_destroy(m);
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
