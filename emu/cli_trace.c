/* The vmemu program's traces and timeline: --trace=mm lines for page faults,
 * reclaim runs and OOM kills (from the machine's MMU events), and
 * --timeline=FILE.csv, a CSV sampled on guest time of every process's
 * memory and the system's, with OOM kills as event rows (scripts/vmemu-plot
 * draws it). */
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* ---- --trace=mm ---- */

static const char *access_name(unsigned int access)
{
	return access == VMEMU_ACCESS_WRITE ? "write" :
	       access == VMEMU_ACCESS_FETCH ? "fetch" : "read";
}

static void trace_event(struct cli_events *ce, const struct vmemu_event *ev)
{
	FILE *out = ce->trace_out ? ce->trace_out : stderr;

	switch (ev->kind) {
	case VMEMU_EVENT_FAULT_IN:
		fprintf(out, "vmemu: mm: [pid %d] fault %s %#llx: %s%s%s\n", ev->pid,
			access_name(ev->fault.access), (unsigned long long)ev->fault.addr,
			ev->fault.major ? "major" : "minor", ev->fault.cow ? ", cow" : "",
			ev->fault.swapin ? ", swap-in" : "");
		break;
	case VMEMU_EVENT_FAULT_ERROR:
		break;                /* the machine logs those itself */
	case VMEMU_EVENT_RECLAIM:
		fprintf(out, "vmemu: mm: %s reclaim: scanned %llu, reclaimed %llu pages\n",
			ev->reclaim.direct ? "direct" : "kswapd",
			(unsigned long long)ev->reclaim.scanned,
			(unsigned long long)ev->reclaim.reclaimed);
		break;
	case VMEMU_EVENT_OOM_KILL:
		fprintf(out, "vmemu: mm: oom-kill: pid %d, rss %llu kB\n", ev->pid,
			(unsigned long long)ev->oom_kill.rss_kb);
		break;
	}
}

/* ---- --timeline ---- */

#define TIMELINE_HEADER \
	"t_ms,pid,comm,rss_kb,pss_kb,swap_kb,anon_kb,file_kb," \
	"free_kb,cached_kb,swap_used_kb,pgscan,pgsteal,oom_kill,event\n"

/* A comm as one CSV field: commas and quotes cannot break the row. */
static void put_comm(FILE *out, const char *comm)
{
	fputc('"', out);
	for (const char *c = comm; *c; c++) {
		if (*c == '"')
			fputc('"', out);
		fputc((unsigned char)*c >= 0x20 ? *c : '?', out);
	}
	fputc('"', out);
}

static double t_ms(vmemu_machine *m)
{
	return (double)vmemu_machine_uptime_ns(m) / 1e6;
}

struct sample_ctx {
	FILE *out;
	double t;
};

static void timeline_process(void *ctx, const struct vmemu_process_info *p)
{
	struct sample_ctx *sc = ctx;

	fprintf(sc->out, "%.3f,%d,", sc->t, p->pid);
	put_comm(sc->out, p->comm);
	fprintf(sc->out, ",%llu,%llu,%llu,%llu,%llu,,,,,,,\n",
		(unsigned long long)p->rollup.rss, (unsigned long long)p->rollup.pss,
		(unsigned long long)p->rollup.swap, (unsigned long long)p->rollup.anonymous,
		(unsigned long long)(p->rollup.rss - p->rollup.anonymous));
}

static int64_t vmstat(vmemu_machine *m, const char *name)
{
	int64_t v = 0;

	vmemu_node_vmstat_get(vmemu_machine_node(m), name, &v);
	return v;
}

void cli_timeline_sample(void *ctx, vmemu_machine *m)
{
	struct cli_events *ce = ctx;
	struct sample_ctx sc = { ce->timeline, t_ms(m) };
	struct vmemu_meminfo mi;

	if (!ce->timeline)
		return;
	vmemu_for_each_process(m, timeline_process, &sc);
	if (vmemu_get_meminfo(m, &mi))
		memset(&mi, 0, sizeof(mi));
	fprintf(ce->timeline, "%.3f,0,\"[system]\",,,,,,%llu,%llu,%llu,%lld,%lld,%lld,\n", sc.t,
		(unsigned long long)mi.mem_free, (unsigned long long)mi.cached,
		(unsigned long long)(mi.swap_total - mi.swap_free),
		(long long)(vmstat(m, "pgscan_kswapd") + vmstat(m, "pgscan_direct")),
		(long long)(vmstat(m, "pgsteal_kswapd") + vmstat(m, "pgsteal_direct")),
		(long long)vmstat(m, "oom_kill"));
}

int cli_timeline_open(struct cli_events *ce, const char *path)
{
	ce->timeline = fopen(path, "w");
	if (!ce->timeline)
		return -1;
	fputs(TIMELINE_HEADER, ce->timeline);
	return 0;
}

int cli_timeline_close(struct cli_events *ce)
{
	int rc = 0;

	if (!ce->timeline)
		return 0;
	if (ce->machine)
		cli_timeline_sample(ce, ce->machine);
	if (ferror(ce->timeline))
		rc = -1;
	if (fclose(ce->timeline))
		rc = -1;
	ce->timeline = NULL;
	return rc;
}

/* ---- the machine's event callback ---- */

void cli_event(void *ctx, const struct vmemu_event *ev)
{
	struct cli_events *ce = ctx;

	if (ce->trace_mm)
		trace_event(ce, ev);
	if (ce->timeline && ce->machine && ev->kind == VMEMU_EVENT_OOM_KILL) {
		fprintf(ce->timeline, "%.3f,%d,\"\",,,,,,,,,,,,oom_kill\n", t_ms(ce->machine),
			ev->pid);
	}
	if (ev->kind == VMEMU_EVENT_OOM_KILL)
		ce->oom_kills++;
}
