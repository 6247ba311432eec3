/* libvmemu, machine layer: run x86-64 Linux ELF programs (static or
 * dynamically linked) on Unicorn under a guest kernel (processes, system
 * calls, signals, /proc) over the mm layer of <vmemu/mm.h>. The machine
 * opens and owns its Unicorn engine.
 *
 * Thread safety: a machine belongs to one thread at a time; different
 * machines in one process are fully independent (the library keeps no
 * global state). The library never prints: messages go to the log callback.
 * Errors are VMEMU_ERR_* codes (<vmemu/common.h>). */
#ifndef VMEMU_VMEMU_H
#define VMEMU_VMEMU_H

#include <vmemu/mm.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vmemu_machine vmemu_machine;

/* Trace categories for vmemu_config.trace. */
#define VMEMU_TRACE_SYSCALLS 0x1u   /* strace-style lines */
#define VMEMU_TRACE_MM       0x2u   /* page faults, reclaim, OOM */

/* What guest AF_INET/AF_INET6 sockets may reach (vmemu_config.net). */
#define VMEMU_NET_LOOPBACK 0       /* the host's loopback only (default) */
#define VMEMU_NET_NONE     1       /* no IP sockets at all: EAFNOSUPPORT */
#define VMEMU_NET_HOST     2       /* the host's network, unrestricted */

/* A guest process at its end (vmemu_config.report): its address space's
 * numbers taken just before the kernel tore it down, when its last thread
 * exited, and how the process ended. */
struct vmemu_process_report {
	int pid;                    /* the process (thread group) id */
	int ppid;                   /* its parent's, at exit */
	char comm[16];              /* /proc/PID/comm, NUL-terminated */
	int wait_status;            /* what wait4 reports (WIFEXITED/WIFSIGNALED) */
	int has_mm;                 /* 0: no address space at exit; the two below are 0 */
	struct vmemu_rollup rollup; /* /proc/PID/smaps_rollup, kB */
	struct vmemu_status status; /* /proc/PID/status: vm_hwm is the peak RSS,
	                               vm_pte the page tables; min_flt/maj_flt */
	const char *smaps;          /* with cfg.report_maps: /proc/PID/smaps at
	                               that moment (valid during the call); else NULL */
};
/* Called on the machine's thread from inside vmemu_run, once per guest
 * process as it exits: copy what you need; do not call into the machine. */
typedef void (*vmemu_report_fn)(void *ctx, const struct vmemu_process_report *r);

/* A live guest process, as vmemu_for_each_process sees it. */
struct vmemu_process_info {
	int pid;                    /* the process (thread group) id */
	int ppid;
	char comm[16];              /* /proc/PID/comm, NUL-terminated */
	struct vmemu_rollup rollup; /* /proc/PID/smaps_rollup now, kB */
	struct vmemu_status status; /* /proc/PID/status now */
};
typedef void (*vmemu_process_fn)(void *ctx, const struct vmemu_process_info *p);
/* Called on the machine's thread between time slices, once each
 * sample_interval_ns of guest time (vmemu_machine_uptime_ns): read the
 * machine with vmemu_for_each_process, vmemu_get_meminfo and the node's
 * vmstat; do not run or stop it. */
typedef void (*vmemu_sample_fn)(void *ctx, vmemu_machine *m);

struct vmemu_config {
	uint64_t mem_bytes;        /* guest RAM (default 256 MiB) */
	const char *root;          /* host directory the guest sees as / (default "/") */
	int read_only;             /* the root as a read-only mount: EROFS for changes */
	const char *inject;        /* fault injection: "POINT@N[+][:ERRNO],..." with POINT
	                              read, write, fsync, deflate, inflate or alloc
	                              (NULL: none); see the vmemu program's --inject */
	int deterministic;         /* virtual clock, seeded randomness and layout */
	uint64_t seed;             /* seed for deterministic runs */
	unsigned int trace;        /* VMEMU_TRACE_* */
	int verbose;               /* log unknown syscalls and other notices */
	vmemu_log_fn log;          /* where messages go (NULL: dropped) */
	void *log_ctx;
	vmemu_event_fn event;      /* MMU events, pid set (NULL: none) */
	void *event_ctx;
	unsigned int event_mask;   /* VMEMU_EVENT_BIT()s wanted (default VMEMU_EVENTS_DEFAULT) */
	int guest_stdin, guest_stdout, guest_stderr; /* host fds for fds 0..2 */
	int net;                   /* VMEMU_NET_* (default VMEMU_NET_LOOPBACK) */
	/* Memory pressure: a compressed swap device in host memory (zlib,
	 * like zram), reclaim and the OOM killer. */
	int64_t swap_bytes;        /* swap capacity in uncompressed bytes (default
	                              -1: half of mem_bytes; 0: no swap) */
	int swappiness;            /* /proc/sys/vm/swappiness, 0..200 (default 60) */
	int swap_level;            /* zlib level for swap, 0..9 (default 1) */
	int oom_score_adj;         /* the first process's, -1000..1000 (default 0) */
	uint64_t memcg_limit_bytes; /* pressure injection: memory.max of a cgroup
	                              holding every guest task (0: none) */
	vmemu_report_fn report;    /* per-process reports at exit (NULL: none) */
	void *report_ctx;
	int report_maps;           /* reports carry the full smaps, VMA by VMA */
	vmemu_sample_fn sample;    /* periodic samples (NULL: none) */
	void *sample_ctx;
	uint64_t sample_interval_ns; /* guest time between samples (default 10 ms) */
	int thp;                   /* transparent huge pages: VMEMU_THP_* (default
	                              VMEMU_THP_MADVISE, as Debian ships) */
};

/* vmemu_config.thp: /sys/kernel/mm/transparent_hugepage/enabled. */
enum {
	VMEMU_THP_MADVISE = 0,     /* THP only where madvise(MADV_HUGEPAGE) asks */
	VMEMU_THP_ALWAYS = 1,      /* in every suitable anonymous mapping */
	VMEMU_THP_NEVER = 2,
};

/* Fills cfg with the defaults. */
void vmemu_config_init(struct vmemu_config *cfg);
/* 0 when spec is a valid vmemu_config.inject schedule, else VMEMU_ERR_INVAL. */
int vmemu_inject_check(const char *spec);

int vmemu_machine_create(const struct vmemu_config *cfg, vmemu_machine **out);
void vmemu_machine_destroy(vmemu_machine *m);

/* Starts the first guest process from host file `path` (resolved below the
 * root). On failure, when errbuf is non-NULL, it receives a one-line reason
 * (without the file name). */
int vmemu_spawn(vmemu_machine *m, const char *path, char *const argv[],
		char *const envp[], char *errbuf, size_t errlen);

/* Runs until every guest process has exited. *status receives the first
 * process's wait status in Linux's encoding (WIFEXITED/WIFSIGNALED apply). */
int vmemu_run(vmemu_machine *m, int *status);

/* Async-signal-safe (for a client's signal handlers), callable while
 * vmemu_run runs: forwards host signal sig (1..32) to the guest's
 * foreground process group (the first process's group) at the machine's
 * next scheduling point. */
void vmemu_machine_signal(vmemu_machine *m, int sig);

/* Async-signal-safe: ends a running vmemu_run soon: every guest task is
 * killed as by SIGKILL and vmemu_run returns (a timeout, for instance). */
void vmemu_machine_stop(vmemu_machine *m);

/* The machine's node: its guest memory, for the mm layer's reports
 * (vmemu_node_meminfo, vmemu_node_vmstat). Owned by the machine; do not
 * destroy it, switch its address space or change its mappings. */
vmemu_node *vmemu_machine_node(vmemu_machine *m);

/* Calls fn for each live guest process (one with an address space), in
 * pid order. 0, or VMEMU_ERR_NOMEM. */
int vmemu_for_each_process(vmemu_machine *m, vmemu_process_fn fn, void *ctx);
/* Thread- and async-signal-safe, callable while vmemu_run runs: asks for
 * a cfg.sample call at the machine's next scheduling point, whatever the
 * interval (the vmemu program's --control=FIFO "report"). */
void vmemu_machine_request_sample(vmemu_machine *m);
/* Guest time since the machine was made, in ns (the virtual clock in
 * deterministic runs, else the host's monotonic clock). */
uint64_t vmemu_machine_uptime_ns(vmemu_machine *m);

/* System-wide memory numbers: vmemu_node_meminfo of the machine's node. */
int vmemu_get_meminfo(vmemu_machine *m, struct vmemu_meminfo *out);

#ifdef __cplusplus
}
#endif

#endif
