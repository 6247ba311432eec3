/* The vmemu program's --expect=EXPR: expectations on a run, checked at its
 * end, for regression tests of guest workloads. EXPR is METRIC OP VALUE
 * (OP one of <= < >= > == !=) or METRIC:none (== 0). Metrics:
 *   rss       peak RSS of any guest process (VmHWM at its exit), a size
 *   majfault  major faults (pgmajfault), pgfault, pswpin, pswpout: counts
 *   oom-kill  processes the OOM killer killed
 *   exit      the first process's exit status (128+N when killed by N) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum op { OP_LE, OP_LT, OP_GE, OP_GT, OP_EQ, OP_NE };

static const char *const op_text[] = { "<=", "<", ">=", ">", "==", "!=" };

/* Sizes as --mem takes them (K, M, G, T; plain numbers are bytes), in kB. */
static int parse_kb(const char *s, uint64_t *kb)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	uint64_t mult = 1;

	if (end == s)
		return -1;
	switch (*end) {
	case 'k': case 'K': mult = 1ULL << 10; end++; break;
	case 'm': case 'M': mult = 1ULL << 20; end++; break;
	case 'g': case 'G': mult = 1ULL << 30; end++; break;
	case 't': case 'T': mult = 1ULL << 40; end++; break;
	case '\0': break;
	default: return -1;
	}
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end)
		return -1;
	*kb = v * mult / 1024;
	return 0;
}

int cli_expect_parse(struct cli_expect *e, const char *text)
{
	static const char *const metrics[] = { "rss", "majfault", "pgfault", "pswpin", "pswpout",
					       "oom-kill", "exit" };
	const char *p = text;
	size_t len = strcspn(text, "<>=!:");
	char *end;

	memset(e, 0, sizeof(*e));
	e->text = text;
	for (size_t i = 0; i < sizeof(metrics) / sizeof(metrics[0]); i++)
		if (strlen(metrics[i]) == len && !strncmp(text, metrics[i], len))
			e->metric = metrics[i];
	if (!e->metric)
		return -1;
	p += len;
	if (!strcmp(p, ":none")) {
		e->op = OP_EQ;
		e->value = 0;
		return 0;
	}
	for (int i = 0; i < 6; i++)
		if (!strncmp(p, op_text[i], strlen(op_text[i]))) {
			/* "<" must not take "<=" apart. */
			if ((i == OP_LT || i == OP_GT) && p[1] == '=')
				continue;
			e->op = i;
			p += strlen(op_text[i]);
			break;
		}
	if (p == text + len)
		return -1;
	if (!strcmp(e->metric, "rss"))
		return parse_kb(p, &e->value);
	e->value = strtoull(p, &end, 10);
	return end == p || *end ? -1 : 0;
}

static bool holds(enum op op, uint64_t got, uint64_t want)
{
	switch (op) {
	case OP_LE: return got <= want;
	case OP_LT: return got < want;
	case OP_GE: return got >= want;
	case OP_GT: return got > want;
	case OP_EQ: return got == want;
	default: return got != want;
	}
}

void cli_expect_process(struct cli_run *run, const struct vmemu_process_report *r)
{
	if (r->has_mm && r->status.vm_hwm > run->peak_rss_kb) {
		run->peak_rss_kb = r->status.vm_hwm;
		run->peak_pid = r->pid;
		snprintf(run->peak_comm, sizeof(run->peak_comm), "%s", r->comm);
	}
}

int cli_expect_check(const struct cli_expect *e, size_t n, const struct cli_run *run,
		     vmemu_machine *m, const char *progname)
{
	int failed = 0;

	for (size_t i = 0; i < n; i++) {
		uint64_t got;
		int64_t v = 0;
		char why[160];

		if (!strcmp(e[i].metric, "rss")) {
			got = run->peak_rss_kb;
			snprintf(why, sizeof(why), "peak RSS was %llu kB (pid %d, %s)",
				 (unsigned long long)got, run->peak_pid, run->peak_comm);
		} else if (!strcmp(e[i].metric, "oom-kill")) {
			vmemu_node_vmstat_get(vmemu_machine_node(m), "oom_kill", &v);
			got = (uint64_t)v;
			snprintf(why, sizeof(why), "%lld processes were OOM-killed", (long long)v);
		} else if (!strcmp(e[i].metric, "exit")) {
			got = (uint64_t)run->exit_status;
			snprintf(why, sizeof(why), "the exit status was %d", run->exit_status);
		} else {
			vmemu_node_vmstat_get(vmemu_machine_node(m), e[i].metric, &v);
			got = (uint64_t)v;
			snprintf(why, sizeof(why), "%s was %lld", e[i].metric, (long long)v);
		}
		if (!holds((enum op)e[i].op, got, e[i].value)) {
			fprintf(stderr, "%s: expectation failed: %s: %s\n", progname, e[i].text, why);
			failed = 1;
		}
	}
	return failed;
}
