/* libvmemu: run x86-64 Linux static ELF programs on Unicorn under a guest
 * kernel whose memory manager behaves like Linux's.
 *
 * Thread safety: a machine belongs to one thread at a time; different
 * machines in one process are fully independent (the library keeps no
 * global state). The library never prints: messages go to the log callback. */
#ifndef VMEMU_VMEMU_H
#define VMEMU_VMEMU_H

#include <stddef.h>
#include <stdint.h>
#include <vmemu/version.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vmemu_machine vmemu_machine;

/* Error codes: every function returning int returns 0 or one of these. */
enum vmemu_error {
	VMEMU_OK = 0,
	VMEMU_ERR_NOMEM = -1,      /* host memory exhausted */
	VMEMU_ERR_INVAL = -2,      /* bad argument or configuration */
	VMEMU_ERR_UNICORN = -3,    /* the CPU emulator refused something */
	VMEMU_ERR_NOENT = -4,      /* program not found */
	VMEMU_ERR_NOEXEC = -5,     /* program cannot be executed (bad ELF, ...) */
	VMEMU_ERR_ACCES = -6,      /* permission denied */
	VMEMU_ERR_STATE = -7,      /* call not valid in the machine's state */
};
const char *vmemu_strerror(int err);

/* Log levels, as syslog's. */
enum vmemu_log_level {
	VMEMU_LOG_ERR = 3,
	VMEMU_LOG_WARNING = 4,
	VMEMU_LOG_NOTICE = 5,
	VMEMU_LOG_INFO = 6,
	VMEMU_LOG_DEBUG = 7,
};
typedef void (*vmemu_log_fn)(void *ctx, int level, const char *msg);

/* Trace categories for vmemu_config.trace. */
#define VMEMU_TRACE_SYSCALLS 0x1u   /* strace-style lines */
#define VMEMU_TRACE_MM       0x2u   /* page faults, reclaim, OOM */

struct vmemu_config {
	uint64_t mem_bytes;        /* guest RAM (default 256 MiB) */
	const char *root;          /* host directory the guest sees as / (default "/") */
	int deterministic;         /* fixed layout, seeded randomness */
	uint64_t seed;             /* seed for deterministic runs */
	unsigned int trace;        /* VMEMU_TRACE_* */
	int verbose;               /* log unknown syscalls and other notices */
	vmemu_log_fn log;          /* where messages go (NULL: dropped) */
	void *log_ctx;
	int guest_stdin, guest_stdout, guest_stderr; /* host fds for fds 0..2 */
};

/* Fills cfg with the defaults. */
void vmemu_config_init(struct vmemu_config *cfg);

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

/* System-wide memory numbers, in kB unless named otherwise. */
struct vmemu_meminfo {
	uint64_t mem_total, mem_free, cached, anon_pages, mapped, page_tables,
		 slab, kernel_reserved;
	uint64_t pgfault, pgmajfault;
};
int vmemu_get_meminfo(vmemu_machine *m, struct vmemu_meminfo *out);

#ifdef __cplusplus
}
#endif

#endif
