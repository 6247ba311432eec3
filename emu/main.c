/* The vmemu program: command-line handling over the public libvmemu API. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
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
		"      --read-only       the guest's files as a read-only mount (EROFS)\n"
		"      --inject=SPEC     make host operations fail on a schedule, for tests:\n"
		"                        POINT@N[+][:ERRNO],... (read, write, fsync, deflate,\n"
		"                        inflate, alloc; EIO by default)\n"
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
		"      --thp=MODE        transparent huge pages: always, madvise\n"
		"                        (default) or never\n"
		"      --strace          print each syscall on stderr\n"
		"      --trace=mm        print page faults (minor/major, cow, swap-in),\n"
		"                        reclaim runs and OOM kills on stderr\n"
		"      --trace-file=FILE write vmemu's messages (--strace and --trace\n"
		"                        lines too) to FILE instead of stderr\n"
		"      --timeline=FILE   sample every process's memory and the system's\n"
		"                        into FILE (CSV) during the run; vmemu-plot draws it\n"
		"      --timeline-interval=DURATION  guest time between samples (10ms)\n"
		"      --expect=EXPR     check the run at its end: rss<=SIZE, oom-kill:none,\n"
		"                        majfault==N, exit==N, ... (<= < >= > == !=); exit 1\n"
		"                        with one line per failed expectation\n"
		"      --report[=FILE]   write a memory report of each guest process as it\n"
		"                        exits and a system summary at the end (to FILE,\n"
		"                        default stderr)\n"
		"      --report-format=FORMAT  text (default) or json (implies --report;\n"
		"                        schema: docs/report-schema.json)\n"
		"      --report-maps     add each process's smaps, VMA by VMA (implies --report)\n"
		"      --report-interval=DURATION  also report the live processes every\n"
		"                        DURATION of guest time (implies --report)\n"
		"      --control=FIFO    read commands from FIFO (made if missing) while\n"
		"                        the guest runs: a line 'report' writes a live\n"
		"                        report (implies --report)\n"
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
	FILE *out;                  /* --trace-file, or NULL for stderr */
};

static void log_to_stderr(void *ctx, int level, const char *msg)
{
	struct log_state *ls = ctx;

	if (level >= VMEMU_LOG_DEBUG && !ls->verbose)
		return;
	fprintf(ls->out ? ls->out : stderr, "%s: %s\n", progname, msg);
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
	/* timeout(1)'s suffixes, and ms, us and ns for short intervals. */
	if ((end[0] == 'm' || end[0] == 'u' || end[0] == 'n') && end[1] == 's') {
		v *= end[0] == 'm' ? 1e-3 : end[0] == 'u' ? 1e-6 : 1e-9;
		end += 2;
	}
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

/* ---- --report: per-process records and the system summary ---- */

enum report_format { REPORT_TEXT, REPORT_JSON };

/* Bumped on any incompatible change to the JSON (docs/report-schema.json). */
#define REPORT_SCHEMA_VERSION 1

struct report_state {
	FILE *out;                  /* NULL: no --report (exits still feed --expect) */
	struct cli_run *run;
	uint64_t live_ns;           /* --report-interval (0: none) */
	uint64_t next_live_ns;
	json_t *samples;            /* REPORT_JSON: the live reports so far */
	enum report_format format;
	json_t *processes;          /* REPORT_JSON: the records so far */
	int failed;                 /* out of memory building the JSON */
};

/* The smaps_rollup fields, in /proc/PID/smaps_rollup's order and names. */
#define ROLLUP_FIELDS(X) \
	X("Rss", rss) X("Pss", pss) X("Pss_Dirty", pss_dirty) X("Pss_Anon", pss_anon) \
	X("Pss_File", pss_file) X("Pss_Shmem", pss_shmem) \
	X("Shared_Clean", shared_clean) X("Shared_Dirty", shared_dirty) \
	X("Private_Clean", private_clean) X("Private_Dirty", private_dirty) \
	X("Referenced", referenced) X("Anonymous", anonymous) X("LazyFree", lazy_free) \
	X("AnonHugePages", anon_huge_pages) X("Swap", swap) X("SwapPss", swap_pss) \
	X("Locked", locked)

/* The /proc/meminfo subset of the summary (kB). */
#define MEMINFO_FIELDS(X) \
	X("MemTotal", mem_total) X("MemFree", mem_free) X("Cached", cached) \
	X("Dirty", dirty) X("Writeback", writeback) X("AnonPages", anon_pages) \
	X("Mapped", mapped) X("Shmem", shmem) X("PageTables", page_tables) \
	X("Slab", slab) X("SwapTotal", swap_total) X("SwapFree", swap_free)

/* The /proc/vmstat subset of the summary (event counts). */
static const char *const report_vmstat_names[] = {
	"pgfault", "pgmajfault", "pgpgin", "pgpgout", "pswpin", "pswpout", "pgscan_kswapd",
	"pgscan_direct",
	"pgsteal_kswapd", "pgsteal_direct", "oom_kill",
};
#define NR_REPORT_VMSTAT (sizeof(report_vmstat_names) / sizeof(report_vmstat_names[0]))

static void report_exit_text(FILE *out, int st)
{
	if ((st & 0x7f) == 0)
		fprintf(out, "exited %d", (st >> 8) & 0xff);
	else
		fprintf(out, "killed by signal %d (%s)%s", st & 0x7f, strsignal(st & 0x7f),
			(st & 0x80) ? ", core dumped" : "");
}

static json_t *report_process_json(const struct vmemu_process_report *r)
{
	json_t *o = json_object(), *rollup = json_object(), *exit_ = json_object();
	int st = r->wait_status;

	if (!o || !rollup || !exit_) {
		json_decref(o);
		json_decref(rollup);
		json_decref(exit_);
		return NULL;
	}
#define ROLLUP_JSON(name, field) \
	json_object_set_new(rollup, name, json_integer((json_int_t)r->rollup.field));
	ROLLUP_FIELDS(ROLLUP_JSON)
#undef ROLLUP_JSON
	json_object_set_new(exit_, "wait_status", json_integer(st));
	json_object_set_new(exit_, "code", (st & 0x7f) == 0 ? json_integer((st >> 8) & 0xff)
							    : json_null());
	json_object_set_new(exit_, "signal", (st & 0x7f) ? json_integer(st & 0x7f) : json_null());
	json_object_set_new(exit_, "core_dumped", json_boolean((st & 0x7f) && (st & 0x80)));
	json_object_set_new(o, "pid", json_integer(r->pid));
	json_object_set_new(o, "ppid", json_integer(r->ppid));
	json_object_set_new(o, "comm", json_string(r->comm)); /* NULL if not UTF-8 */
	if (!json_object_get(o, "comm"))
		json_object_set_new(o, "comm", json_stringn("?", 1));
	json_object_set_new(o, "exit", exit_);
	json_object_set_new(o, "has_mm", json_boolean(r->has_mm));
	json_object_set_new(o, "smaps_rollup", rollup);
	json_object_set_new(o, "VmHWM", json_integer((json_int_t)r->status.vm_hwm));
	json_object_set_new(o, "VmPTE", json_integer((json_int_t)r->status.vm_pte));
	json_object_set_new(o, "minflt", json_integer((json_int_t)r->status.min_flt));
	json_object_set_new(o, "majflt", json_integer((json_int_t)r->status.maj_flt));
	return o;
}

/* --report-maps in JSON: smaps text as one object per VMA, its header
 * line split into Linux's fields and each "Key: N kB" line a number. */
static json_t *smaps_json(const char *text)
{
	json_t *a = json_array(), *vma = NULL;
	const char *line = text;

	while (a && line && *line) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		char buf[4352], key[64];
		unsigned long long start, end, value;
		char perms[8], dev[16], path[4096];
		unsigned long long off, inode;
		int n = 0;

		if (len >= sizeof(buf))
			len = sizeof(buf) - 1;
		memcpy(buf, line, len);
		buf[len] = 0;
		line = nl ? nl + 1 : NULL;
		path[0] = 0;
		if (sscanf(buf, "%llx-%llx %7s %llx %15s %llu %n", &start, &end, perms, &off, dev,
			   &inode, &n) == 6) {
			snprintf(path, sizeof(path), "%s", buf + n);
			vma = json_object();
			if (!vma || json_array_append_new(a, vma))
				break;
			json_object_set_new(vma, "start", json_integer((json_int_t)start));
			json_object_set_new(vma, "end", json_integer((json_int_t)end));
			json_object_set_new(vma, "perms", json_string(perms));
			json_object_set_new(vma, "offset", json_integer((json_int_t)off));
			json_object_set_new(vma, "dev", json_string(dev));
			json_object_set_new(vma, "inode", json_integer((json_int_t)inode));
			json_object_set_new(vma, "path", json_string(path));
			if (!json_object_get(vma, "path"))
				json_object_set_new(vma, "path", json_string("?"));
		} else if (vma && sscanf(buf, "%63[^:]: %llu kB", key, &value) == 2) {
			json_object_set_new(vma, key, json_integer((json_int_t)value));
		} else if (vma && sscanf(buf, "%63[^:]: %4095[^\n]", key, path) == 2) {
			json_object_set_new(vma, key, json_string(path));
		}
	}
	return a;
}

/* A record's numbers in the text format, shared by the exit and live
 * records. */
static void report_numbers_text(FILE *out, const struct vmemu_process_report *r)
{
#define ROLLUP_TEXT(name, field) \
	fprintf(out, "  %-16s%10llu kB\n", name ":", (unsigned long long)r->rollup.field);
	ROLLUP_FIELDS(ROLLUP_TEXT)
#undef ROLLUP_TEXT
	fprintf(out, "  %-16s%10llu kB\n", "VmHWM:", (unsigned long long)r->status.vm_hwm);
	fprintf(out, "  %-16s%10llu kB\n", "VmPTE:", (unsigned long long)r->status.vm_pte);
	fprintf(out, "  %-16s%10llu\n", "minflt:", (unsigned long long)r->status.min_flt);
	fprintf(out, "  %-16s%10llu\n", "majflt:", (unsigned long long)r->status.maj_flt);
}

/* vmemu_config.report: a guest process exited. */
static void report_process(void *ctx, const struct vmemu_process_report *r)
{
	struct report_state *rs = ctx;

	cli_expect_process(rs->run, r);
	if (!rs->out)
		return;
	if (rs->format == REPORT_JSON) {
		json_t *o = report_process_json(r);

		if (o && r->smaps)
			json_object_set_new(o, "smaps", smaps_json(r->smaps));
		if (!o || json_array_append_new(rs->processes, o))
			rs->failed = 1;
		return;
	}
	fprintf(rs->out, "process %d (%s), parent %d: ", r->pid, r->comm, r->ppid);
	report_exit_text(rs->out, r->wait_status);
	fputc('\n', rs->out);
	report_numbers_text(rs->out, r);
	if (r->smaps) {
		fprintf(rs->out, "  smaps:\n");
		for (const char *l = r->smaps; *l;) {
			const char *nl = strchr(l, '\n');
			int len = nl ? (int)(nl - l) : (int)strlen(l);

			fprintf(rs->out, "    %.*s\n", len, l);
			l += len + (nl != NULL);
		}
	}
	fflush(rs->out);
}

/* The page cache at the end of the run, largest first. */
struct cached_files {
	struct vmemu_cached_file *v;
	size_t n, cap;
	int failed;
};

static void collect_cached_file(void *ctx, const struct vmemu_cached_file *f)
{
	struct cached_files *c = ctx;

	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 64;
		struct vmemu_cached_file *v = realloc(c->v, cap * sizeof(*v));

		if (!v) {
			c->failed = 1;
			return;
		}
		c->v = v;
		c->cap = cap;
	}
	c->v[c->n] = *f;
	c->v[c->n].path = strdup(f->path);
	if (!c->v[c->n].path)
		c->failed = 1;
	else
		c->n++;
}

static int by_cached_desc(const void *a, const void *b)
{
	const struct vmemu_cached_file *x = a, *y = b;

	return x->cached < y->cached ? 1 : x->cached > y->cached ? -1 : strcmp(x->path, y->path);
}

static void cached_files_free(struct cached_files *c)
{
	for (size_t i = 0; i < c->n; i++)
		free((char *)c->v[i].path);
	free(c->v);
}

static json_t *page_cache_json(const struct cached_files *c)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < c->n; i++) {
		json_t *o = json_object();

		if (!o || json_array_append_new(a, o)) {
			json_decref(a);
			return NULL;
		}
		json_object_set_new(o, "path", json_string(c->v[i].path));
		if (!json_object_get(o, "path"))
			json_object_set_new(o, "path", json_string("?"));
		json_object_set_new(o, "Cached", json_integer((json_int_t)c->v[i].cached));
		json_object_set_new(o, "Dirty", json_integer((json_int_t)c->v[i].dirty));
		json_object_set_new(o, "Mapped", json_integer((json_int_t)c->v[i].mapped));
	}
	return a;
}

/* --report-interval: the live processes now, as records like the exit
 * ones (without an exit status). */
struct live_ctx {
	struct report_state *rs;
	double t_ms;
	json_t *list;
};

static void report_live_process(void *ctx, const struct vmemu_process_info *p)
{
	struct live_ctx *lc = ctx;
	struct report_state *rs = lc->rs;
	struct vmemu_process_report r;

	memset(&r, 0, sizeof(r));
	r.pid = p->pid;
	r.ppid = p->ppid;
	memcpy(r.comm, p->comm, sizeof(r.comm));
	r.has_mm = 1;
	r.rollup = p->rollup;
	r.status = p->status;
	if (rs->format == REPORT_JSON) {
		json_t *o = report_process_json(&r);

		if (o) {
			json_object_del(o, "exit");
			json_object_del(o, "has_mm");
		}
		if (!o || json_array_append_new(lc->list, o))
			rs->failed = 1;
		return;
	}
	fprintf(rs->out, "live at %.3f ms: process %d (%s), parent %d\n", lc->t_ms, r.pid, r.comm,
		r.ppid);
	report_numbers_text(rs->out, &r);
}

/* A live report: every --report-interval, or now when forced (--control). */
static void report_live(struct report_state *rs, vmemu_machine *m, bool force)
{
	uint64_t now = vmemu_machine_uptime_ns(m);
	struct live_ctx lc = { rs, (double)now / 1e6, NULL };

	if (!rs->out || (!force && (!rs->live_ns || now < rs->next_live_ns)))
		return;
	if (rs->live_ns && now >= rs->next_live_ns)
		rs->next_live_ns = (now / rs->live_ns + 1) * rs->live_ns;
	if (rs->format == REPORT_JSON) {
		json_t *sample = json_object();

		lc.list = json_array();
		if (!sample || !lc.list || json_array_append_new(rs->samples, sample)) {
			json_decref(lc.list);
			rs->failed = 1;
			return;
		}
		json_object_set_new(sample, "t_ms", json_real(lc.t_ms));
		json_object_set_new(sample, "processes", lc.list);
	}
	vmemu_for_each_process(m, report_live_process, &lc);
	fflush(rs->out);
}

/* vmemu_config.sample: the timeline's and the live report's, each on its
 * own interval. */
struct samplers {
	struct cli_events *ce;
	struct report_state *rs;
	uint64_t timeline_ns, next_timeline_ns;
	int report_now;             /* --control asked for a report (atomic) */
};

/* --control=FIFO: a thread reads commands, one per line: "report" asks
 * for a live report at the machine's next scheduling point, into the
 * --report output; other lines are ignored. No signal of the guest's is
 * used for this. */
struct control {
	int fd;
	vmemu_machine *m;
	struct samplers *sp;
};

static void *control_thread(void *arg)
{
	struct control *c = arg;
	char buf[256], line[64];
	size_t len = 0;
	ssize_t n;

	while ((n = read(c->fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR)) {
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] != '\n') {
				if (len < sizeof(line) - 1)
					line[len++] = buf[i];
				continue;
			}
			line[len] = 0;
			len = 0;
			if (!strcmp(line, "report")) {
				__atomic_store_n(&c->sp->report_now, 1, __ATOMIC_SEQ_CST);
				vmemu_machine_request_sample(c->m);
			}
		}
	}
	return NULL;
}

static int control_start(struct control *c, const char *path)
{
	pthread_t th;
	sigset_t all, old;
	int r;

	if (mkfifo(path, 0600) < 0 && errno != EEXIST)
		return -1;
	/* O_RDWR: the open does not wait for a writer, and the last writer
	 * closing is no end of file. */
	c->fd = open(path, O_RDWR | O_CLOEXEC);
	if (c->fd < 0)
		return -1;
	/* The thread takes no host signal: they are the machine's. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	r = pthread_create(&th, NULL, control_thread, c);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r) {
		errno = r;
		return -1;
	}
	pthread_detach(th);
	return 0;
}

static void on_sample(void *ctx, vmemu_machine *m)
{
	struct samplers *sp = ctx;
	uint64_t now = vmemu_machine_uptime_ns(m);

	if (sp->ce->timeline && now >= sp->next_timeline_ns) {
		sp->next_timeline_ns = (now / sp->timeline_ns + 1) * sp->timeline_ns;
		cli_timeline_sample(sp->ce, m);
	}
	report_live(sp->rs, m, __atomic_exchange_n(&sp->report_now, 0, __ATOMIC_SEQ_CST));
}

/* The end of the run: the system summary (and, in JSON, the document).
 * Returns 0, or -1 when the report could not be written. */
static int report_finish(struct report_state *rs, vmemu_machine *m)
{
	struct vmemu_meminfo mi;
	int64_t vm[NR_REPORT_VMSTAT];
	struct cached_files files = { 0 };
	int rc = 0;

	if (vmemu_get_meminfo(m, &mi))
		memset(&mi, 0, sizeof(mi));
	for (unsigned int i = 0; i < NR_REPORT_VMSTAT; i++)
		if (vmemu_node_vmstat_get(vmemu_machine_node(m), report_vmstat_names[i], &vm[i]))
			vm[i] = 0;
	vmemu_node_page_cache(vmemu_machine_node(m), collect_cached_file, &files);
	if (files.n)
		qsort(files.v, files.n, sizeof(*files.v), by_cached_desc);
	if (rs->format == REPORT_JSON) {
		json_t *doc = json_object(), *sys = json_object(), *mij = json_object(),
		       *vmj = json_object();

		json_t *pcj = page_cache_json(&files);

		if (!doc || !sys || !mij || !vmj || !pcj || rs->failed || files.failed) {
			json_decref(doc);
			json_decref(sys);
			json_decref(mij);
			json_decref(vmj);
			json_decref(pcj);
			cached_files_free(&files);
			return -1;
		}
#define MEMINFO_JSON(name, field) json_object_set_new(mij, name, json_integer((json_int_t)mi.field));
		MEMINFO_FIELDS(MEMINFO_JSON)
#undef MEMINFO_JSON
		for (unsigned int i = 0; i < NR_REPORT_VMSTAT; i++)
			json_object_set_new(vmj, report_vmstat_names[i], json_integer(vm[i]));
		json_object_set_new(sys, "meminfo", mij);
		json_object_set_new(sys, "vmstat", vmj);
		json_object_set_new(sys, "page_cache", pcj);
		json_object_set_new(doc, "schema_version", json_integer(REPORT_SCHEMA_VERSION));
		json_object_set_new(doc, "vmemu_version", json_string(VMEMU_VERSION_STRING));
		json_object_set_new(doc, "processes", json_incref(rs->processes));
		if (rs->samples)
			json_object_set_new(doc, "live", json_incref(rs->samples));
		json_object_set_new(doc, "system", sys);
		if (json_dumpf(doc, rs->out, JSON_INDENT(2) | JSON_PRESERVE_ORDER) ||
		    fputc('\n', rs->out) == EOF)
			rc = -1;
		json_decref(doc);
	} else {
		fprintf(rs->out, "system:\n");
#define MEMINFO_TEXT(name, field) \
		fprintf(rs->out, "  %-16s%10llu kB\n", name ":", (unsigned long long)mi.field);
		MEMINFO_FIELDS(MEMINFO_TEXT)
#undef MEMINFO_TEXT
		for (unsigned int i = 0; i < NR_REPORT_VMSTAT; i++)
			fprintf(rs->out, "  %-16s%10lld\n", report_vmstat_names[i], (long long)vm[i]);
		if (files.n)
			fprintf(rs->out, "page cache:\n  %13s %9s %9s  %s\n", "Cached", "Dirty", "Mapped",
				"file");
		for (size_t i = 0; i < files.n; i++)
			fprintf(rs->out, "  %10llu kB %6llu kB %6llu kB  %s\n",
				(unsigned long long)files.v[i].cached,
				(unsigned long long)files.v[i].dirty,
				(unsigned long long)files.v[i].mapped, files.v[i].path);
	}
	cached_files_free(&files);
	if (fflush(rs->out) || ferror(rs->out))
		rc = -1;
	return rc;
}

int main(int argc, char **argv)
{
	enum { OPT_ROOT = 256, OPT_DET, OPT_SEED, OPT_STRACE, OPT_TRACE, OPT_NET, OPT_TIMEOUT,
	       OPT_SWAP, OPT_SWAPPINESS, OPT_SWAP_LEVEL, OPT_OOM_ADJ, OPT_MEMCG, OPT_THP,
	       OPT_REPORT, OPT_REPORT_FORMAT, OPT_TRACE_FILE, OPT_TIMELINE, OPT_TIMELINE_INTERVAL,
	       OPT_EXPECT, OPT_REPORT_MAPS, OPT_REPORT_INTERVAL, OPT_READ_ONLY, OPT_INJECT,
	       OPT_CONTROL };
	static const struct option longopts[] = {
		{ "mem", required_argument, NULL, 'm' },
		{ "root", required_argument, NULL, OPT_ROOT },
		{ "read-only", no_argument, NULL, OPT_READ_ONLY },
		{ "inject", required_argument, NULL, OPT_INJECT },
		{ "control", required_argument, NULL, OPT_CONTROL },
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
		{ "thp", required_argument, NULL, OPT_THP },
		{ "report", optional_argument, NULL, OPT_REPORT },
		{ "report-format", required_argument, NULL, OPT_REPORT_FORMAT },
		{ "trace-file", required_argument, NULL, OPT_TRACE_FILE },
		{ "timeline", required_argument, NULL, OPT_TIMELINE },
		{ "timeline-interval", required_argument, NULL, OPT_TIMELINE_INTERVAL },
		{ "expect", required_argument, NULL, OPT_EXPECT },
		{ "report-maps", no_argument, NULL, OPT_REPORT_MAPS },
		{ "report-interval", required_argument, NULL, OPT_REPORT_INTERVAL },
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
	int report = 0, report_failed = 0;
	const char *report_path = NULL;
	struct cli_run run = { 0 };
	struct report_state rs = { .run = &run, .format = REPORT_TEXT };
	uint64_t timeline_ns = 10000000ULL;
	struct cli_events ce = { 0 };
	struct samplers sp = { .ce = &ce, .rs = &rs };
	struct cli_expect *expects = NULL;
	size_t nexpects = 0;
	const char *timeline_path = NULL, *control_path = NULL;
	struct control ctl = { -1, NULL, NULL };
	int expect_failed = 0;
	bool exit_expected = false;

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
		case OPT_READ_ONLY:
			cfg.read_only = 1;
			break;
		case OPT_CONTROL:
			control_path = optarg;
			report = 1;
			break;
		case OPT_INJECT:
			if (vmemu_inject_check(optarg)) {
				fprintf(stderr, "%s: invalid fault injection '%s' (POINT@N[+][:ERRNO],... with "
					"POINT read, write, fsync, deflate, inflate or alloc)\n", progname, optarg);
				return 2;
			}
			cfg.inject = optarg;
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
			ce.trace_mm = 1;
			break;
		case OPT_TRACE_FILE:
			if (ls.out && ls.out != stderr)
				fclose(ls.out);
			ls.out = fopen(optarg, "w");
			if (!ls.out) {
				fprintf(stderr, "%s: %s: %s\n", progname, optarg, strerror(errno));
				return 2;
			}
			setvbuf(ls.out, NULL, _IOLBF, 0);
			ce.trace_out = ls.out;
			break;
		case OPT_TIMELINE:
			timeline_path = optarg;
			break;
		case OPT_TIMELINE_INTERVAL: {
			double sec;

			if (parse_duration(optarg, &sec) || sec < 1e-6) {
				fprintf(stderr, "%s: invalid time interval '%s'\n", progname, optarg);
				return 2;
			}
			timeline_ns = (uint64_t)(sec * 1e9);
			break;
		}
		case OPT_REPORT_INTERVAL: {
			double sec;

			if (parse_duration(optarg, &sec) || sec < 1e-6) {
				fprintf(stderr, "%s: invalid time interval '%s'\n", progname, optarg);
				return 2;
			}
			rs.live_ns = (uint64_t)(sec * 1e9);
			report = 1;
			break;
		}
		case OPT_EXPECT: {
			struct cli_expect *v = realloc(expects, (nexpects + 1) * sizeof(*v));

			if (!v)
				return 1;
			expects = v;
			if (cli_expect_parse(&expects[nexpects], optarg)) {
				fprintf(stderr, "%s: invalid expectation '%s' (METRIC OP VALUE with METRIC "
					"rss, majfault, pgfault, pswpin, pswpout, oom-kill or exit)\n",
					progname, optarg);
				free(expects);
				return 2;
			}
			nexpects++;
			break;
		}
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
		case OPT_THP:
			if (!strcmp(optarg, "always"))
				cfg.thp = VMEMU_THP_ALWAYS;
			else if (!strcmp(optarg, "madvise"))
				cfg.thp = VMEMU_THP_MADVISE;
			else if (!strcmp(optarg, "never"))
				cfg.thp = VMEMU_THP_NEVER;
			else {
				fprintf(stderr, "%s: unknown THP mode '%s' (known: always, madvise, never)\n",
					progname, optarg);
				return 2;
			}
			break;
		case OPT_REPORT:
			report = 1;
			report_path = optarg;
			break;
		case OPT_REPORT_MAPS:
			cfg.report_maps = 1;
			report = 1;
			break;
		case OPT_REPORT_FORMAT:
			if (!strcmp(optarg, "text"))
				rs.format = REPORT_TEXT;
			else if (!strcmp(optarg, "json"))
				rs.format = REPORT_JSON;
			else {
				fprintf(stderr, "%s: unknown report format '%s' (known: text, json)\n",
					progname, optarg);
				return 2;
			}
			report = 1;
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

	if (report) {
		rs.out = stderr;
		if (report_path && !(rs.out = fopen(report_path, "w"))) {
			fprintf(stderr, "%s: %s: %s\n", progname, report_path, strerror(errno));
			return 2;
		}
		if (rs.format == REPORT_JSON && !(rs.processes = json_array())) {
			fprintf(stderr, "%s: out of memory\n", progname);
			return 1;
		}
	}
	cfg.report = report_process;
	cfg.report_ctx = &rs;
	cfg.event = cli_event;
	cfg.event_ctx = &ce;
	if (ce.trace_mm)
		cfg.event_mask |= VMEMU_EVENT_BIT(VMEMU_EVENT_FAULT_IN);
	if (timeline_path) {
		if (cli_timeline_open(&ce, timeline_path)) {
			fprintf(stderr, "%s: %s: %s\n", progname, timeline_path, strerror(errno));
			return 2;
		}
	}
	if (timeline_path || rs.live_ns || control_path) {
		sp.timeline_ns = timeline_ns;
		cfg.sample = on_sample;
		cfg.sample_ctx = &sp;
		cfg.sample_interval_ns = !timeline_path ? rs.live_ns : !rs.live_ns ? timeline_ns
				       : timeline_ns < rs.live_ns ? timeline_ns : rs.live_ns;
		/* --control alone: samples only on request. */
		if (!cfg.sample_interval_ns)
			cfg.sample_interval_ns = UINT64_MAX / 2;
	}
	if ((rs.live_ns || control_path) && rs.format == REPORT_JSON &&
	    !(rs.samples = json_array())) {
		fprintf(stderr, "%s: out of memory\n", progname);
		return 1;
	}
	rc = vmemu_machine_create(&cfg, &m);
	if (rc) {
		if (rc == VMEMU_ERR_INVAL && cfg.root)
			fprintf(stderr, "%s: %s: cannot use as root directory\n", progname, cfg.root);
		else
			fprintf(stderr, "%s: cannot create machine: %s\n", progname, vmemu_strerror(rc));
		return rc == VMEMU_ERR_INVAL ? 2 : 1;
	}
	ce.machine = m;
	if (control_path) {
		ctl.m = m;
		ctl.sp = &sp;
		if (control_start(&ctl, control_path)) {
			fprintf(stderr, "%s: %s: %s\n", progname, control_path, strerror(errno));
			vmemu_machine_destroy(m);
			return 2;
		}
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
		/* Repeating after it fires: a stop request that lands while
		 * the engine is being entered is made again (emu/preempt.c). */
		struct itimerval it = { { 0, 200000 }, { (time_t)timeout_s,
			(suseconds_t)((timeout_s - (double)(time_t)timeout_s) * 1e6) } };

		if (!it.it_value.tv_sec && !it.it_value.tv_usec)
			it.it_value.tv_usec = 1;
		setitimer(ITIMER_REAL, &it, NULL);
	}
	rc = vmemu_run(m, &status);
	if (timeout_s > 0)
		setitimer(ITIMER_REAL, &(struct itimerval){ { 0, 0 }, { 0, 0 } }, NULL);
	running = NULL;
	if (report) {
		if (report_finish(&rs, m) || (rs.out != stderr && fclose(rs.out))) {
			fprintf(stderr, "%s: cannot write the report to %s\n", progname,
				report_path ? report_path : "stderr");
			report_failed = 1;
		}
		json_decref(rs.processes);
		json_decref(rs.samples);
	}
	if (timeline_path && cli_timeline_close(&ce)) {
		fprintf(stderr, "%s: cannot write the timeline to %s\n", progname, timeline_path);
		report_failed = 1;
	}
	run.exit_status = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f);
	if (!rc && !timed_out && nexpects)
		expect_failed = cli_expect_check(expects, nexpects, &run, m, progname);
	for (size_t i = 0; i < nexpects; i++)
		exit_expected |= !strcmp(expects[i].metric, "exit");
	free(expects);
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
	if (report_failed)
		return 1;
	/* With expectations, the verdict is vmemu's status: the guest's own
	 * status counts through an exit expectation, else it must be 0. */
	if (nexpects) {
		if (!exit_expected && run.exit_status) {
			fprintf(stderr, "%s: expectation failed: exit==0 (implied): the exit status "
				"was %d\n", progname, run.exit_status);
			expect_failed = 1;
		}
		return expect_failed;
	}
	if ((status & 0x7f) == 0)
		return (status >> 8) & 0xff;
	report_signal_death(status & 0x7f);
	return 128 + (status & 0x7f);
}
