/* libvmemu: what both layers share — error codes, vmemu_strerror, the log
 * callback and the event callback. Included by <vmemu/mm.h> and
 * <vmemu/vmemu.h>; not meant to be included on its own. */
#ifndef VMEMU_COMMON_H
#define VMEMU_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <vmemu/version.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vmemu_node vmemu_node;   /* guest RAM and the software MMU */
typedef struct vmemu_as vmemu_as;       /* one address space (mm_struct) */

/*
 * Errors. Functions returning int return 0 on success, or a negative code
 * of one of two kinds, which never overlap:
 *  - a VMEMU_ERR_* code (all below -4095): the library or the host failed;
 *  - -errno (from -4095 to -1): the guest kernel's answer, exactly what a
 *    Linux system call would return to the guest (vmemu_mmap's -ENOMEM,
 *    vmemu_copy_to_guest's -EFAULT, ...).
 * Each function's comment says which it returns. vmemu_strerror names both.
 */
enum vmemu_error {
	VMEMU_OK = 0,
	VMEMU_ERR_NOMEM = -10001,    /* host memory exhausted */
	VMEMU_ERR_INVAL = -10002,    /* bad argument or configuration */
	VMEMU_ERR_UNICORN = -10003,  /* the CPU emulator refused something */
	VMEMU_ERR_NOENT = -10004,    /* program not found */
	VMEMU_ERR_NOEXEC = -10005,   /* program cannot be executed (bad ELF, ...) */
	VMEMU_ERR_ACCES = -10006,    /* permission denied */
	VMEMU_ERR_STATE = -10007,    /* call not valid in the object's state */
};
/* Whether err is a -errno value rather than a VMEMU_ERR_* code. */
#define VMEMU_IS_ERRNO(err) ((err) < 0 && (err) >= -4095)
/* A constant English description of err (either kind); never NULL. */
const char *vmemu_strerror(int err);

/* Log levels, as syslog's. The library never prints: each message goes to
 * the log callback given at creation (NULL drops them), one line without
 * its newline. */
enum vmemu_log_level {
	VMEMU_LOG_ERR = 3,
	VMEMU_LOG_WARNING = 4,
	VMEMU_LOG_NOTICE = 5,
	VMEMU_LOG_INFO = 6,
	VMEMU_LOG_DEBUG = 7,
};
typedef void (*vmemu_log_fn)(void *ctx, int level, const char *msg);

/* ---- events ---- */

/* Access types, as the MMU saw them. */
#define VMEMU_ACCESS_READ  0x1u
#define VMEMU_ACCESS_WRITE 0x2u
#define VMEMU_ACCESS_FETCH 0x4u

/* A page fault, resolved or not. */
struct vmemu_fault {
	uint64_t addr;          /* page-aligned virtual address */
	unsigned int access;    /* VMEMU_ACCESS_* */
	int signo;              /* 0 when resolved; else SIGSEGV (11) or SIGBUS (7) */
	int si_code;            /* SEGV_MAPERR 1, SEGV_ACCERR 2, BUS_ADRERR 2; 0 if resolved */
	int major;              /* resolved by reading a file (a major fault) */
	int cow;                /* resolved by copying a shared page (copy-on-write) */
	int swapin;             /* resolved by reading the page back from swap */
};

enum vmemu_event_kind {
	/* The TLB-fill hook could not resolve a fault: the access is refused
	 * and uc_emu_start returns UC_ERR_EXCEPTION. */
	VMEMU_EVENT_FAULT_ERROR = 0,
	/* A fault was resolved in the fill hook (demand zero, file page,
	 * copy-on-write, stack growth): a page was faulted in. Frequent; off
	 * unless asked for. */
	VMEMU_EVENT_FAULT_IN = 1,
	/* The OOM killer chose a victim (raised by a machine's OOM killer:
	 * pid is the victim's, rss_kb its RSS). */
	VMEMU_EVENT_OOM_KILL = 2,
	/* A reclaim run ended: a kswapd run, or direct reclaim by an
	 * allocation (reclaim.direct); pages scanned and reclaimed. */
	VMEMU_EVENT_RECLAIM = 3,
};
#define VMEMU_EVENT_BIT(kind) (1u << (kind))
/* The event_mask vmemu_node_config_init and vmemu_config_init set. */
#define VMEMU_EVENTS_DEFAULT (VMEMU_EVENT_BIT(VMEMU_EVENT_FAULT_ERROR) | \
			      VMEMU_EVENT_BIT(VMEMU_EVENT_OOM_KILL) | \
			      VMEMU_EVENT_BIT(VMEMU_EVENT_RECLAIM))

struct vmemu_event {
	enum vmemu_event_kind kind;
	/* The address space concerned: the active one (vmemu_node_switch_as),
	 * or NULL when it is a machine's process (then pid says which). */
	vmemu_as *as;
	int pid;                /* machine layer only: the guest pid; else 0 */
	union {
		struct vmemu_fault fault;        /* FAULT_ERROR, FAULT_IN */
		struct {
			uint64_t rss_kb;         /* the victim's RSS when killed */
		} oom_kill;                      /* OOM_KILL */
		struct {
			uint64_t scanned, reclaimed; /* pages */
			int direct;              /* direct reclaim, not kswapd */
		} reclaim;                       /* RECLAIM */
	};
};
/* Called synchronously on the thread running the engine, from inside the
 * MMU hook for fault events: it must not call uc_emu_start or uc_emu_stop
 * (stopping inside the fill hook corrupts the run, DESIGN.md fact 2), nor
 * any vmemu_* function that changes mappings; reading registers and
 * recording are fine. To stop, set a flag and stop from a block or
 * syscall hook. */
typedef void (*vmemu_event_fn)(void *ctx, const struct vmemu_event *ev);

#ifdef __cplusplus
}
#endif

#endif
