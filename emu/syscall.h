/* Syscall entry: the table from x86-64 syscall numbers to handlers, and the
 * conventions every handler follows. */
#ifndef EMU_SYSCALL_H
#define EMU_SYSCALL_H

#include <stdint.h>
#include <errno.h>
#include "machine.h"
#include "task.h"

/* A handler gets the six argument registers (rdi, rsi, rdx, r10, r8, r9) and
 * returns the value for RAX: a result, or -errno. Handlers that must change
 * RIP or tear the task down set m->stop = STOP_SYSCALL and record what to do
 * in t (the run loop acts after uc_emu_start returns, never in the hook). */
typedef long (*syscall_fn)(machine_t *m, struct task_struct *t, const uint64_t *a);

struct syscall_desc {
	const char *name;
	syscall_fn fn;
};

/* Restart codes, as Linux's: never seen by the guest. */
#define ERESTARTSYS      512
#define ERESTARTNOINTR   513
#define ERESTARTNOHAND   514
#define ERESTART_RESTARTBLOCK 516

int syscall_init(machine_t *m);

/* Linux's syscall restart rules, applied when a signal interrupts a syscall
 * that returned -ERESTART*: with a handler (SA_RESTART decides) or none. */
void syscall_restart_for_handler(machine_t *m, struct task_struct *t,
				 const struct k_sigaction *ka);
void syscall_restart_no_handler(machine_t *m, struct task_struct *t);
/* Run the interrupted syscall again (RIP back onto it, RAX its number). */
void syscall_restart(machine_t *m, struct task_struct *t);

/* Per-group tables, filled by each sys_*.c file: sets table[nr]. */
void sys_mm_register(struct syscall_desc *table);
void sys_fs_register(struct syscall_desc *table);
void sys_proc_register(struct syscall_desc *table);
void sys_time_register(struct syscall_desc *table);
void sys_signal_register(struct syscall_desc *table);
void sys_socket_register(struct syscall_desc *table);   /* sys_socket.c */
void sys_epoll_register(struct syscall_desc *table);    /* epoll.c */
void sys_xattr_register(struct syscall_desc *table);    /* sys_xattr.c */

/* Host descriptors without stopping the machine (sys_fs.c). */
/* Whether a blocking wait by t must sleep in the guest kernel rather than
 * block in a host call: other tasks are alive, or the run is deterministic
 * (where only the guest kernel knows the time). */
bool must_sleep_in_guest(machine_t *m, struct task_struct *t);
bool others_live(machine_t *m, struct task_struct *t);
/* Ready (or hung up, in error) for events, without waiting. */
bool host_fd_ready(int fd, short events);
/* Puts t to sleep until host fd is ready for events; the syscall then runs
 * again from the start (a restart, so SA_RESTART semantics hold). */
long sleep_on_host_fd(machine_t *m, struct task_struct *t, int fd, short events);

#define NR_SYSCALLS 512
#define SYSCALL(tbl, nr, fn_) ((tbl)[nr] = (struct syscall_desc){ #fn_, (fn_) })

#endif
