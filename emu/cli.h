/* The vmemu program's pieces beside main.c: traces and the timeline
 * (cli_trace.c). Not part of libvmemu. */
#ifndef EMU_CLI_H
#define EMU_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <vmemu/vmemu.h>

/* What the program does with the machine's events and samples. */
struct cli_events {
	vmemu_machine *machine;   /* set once made */
	int trace_mm;             /* --trace=mm: print faults, reclaim, OOM */
	FILE *trace_out;          /* where (NULL: stderr) */
	FILE *timeline;           /* --timeline's CSV, or NULL */
	unsigned long oom_kills;  /* seen so far */
};

/* vmemu_config.event */
void cli_event(void *ctx, const struct vmemu_event *ev);
/* vmemu_config.sample: one timeline sample. */
void cli_timeline_sample(void *ctx, vmemu_machine *m);
/* Opens the CSV and writes its header; -1 with errno on failure. */
int cli_timeline_open(struct cli_events *ce, const char *path);
/* A last sample, then closes it; -1 when something could not be written. */
int cli_timeline_close(struct cli_events *ce);

/* --expect (cli_expect.c). */
struct cli_expect {
	const char *text;         /* as given */
	const char *metric;
	int op;
	uint64_t value;           /* sizes in kB */
};
/* What the run showed, for the expectations. */
struct cli_run {
	uint64_t peak_rss_kb;     /* the largest VmHWM of a process at its exit */
	int peak_pid;
	char peak_comm[16];
	int exit_status;          /* vmemu's own exit status for the guest's */
};
/* 0, or -1 when text is not an expectation. */
int cli_expect_parse(struct cli_expect *e, const char *text);
/* A process exited (vmemu_config.report): its peak RSS counts. */
void cli_expect_process(struct cli_run *run, const struct vmemu_process_report *r);
/* Prints each expectation that does not hold; 1 if any, else 0. */
int cli_expect_check(const struct cli_expect *e, size_t n, const struct cli_run *run,
		     vmemu_machine *m, const char *progname);

#endif
