/* Files the guest kernel generates (/proc, /sys): their contents, in the
 * formats Linux prints, from the machine's real state. */
#ifndef EMU_PROCFS_H
#define EMU_PROCFS_H

#include "task.h"

/* Contents of the generated file at guest_abs (normalised), malloc'd in
 * *buf; -ENOENT when the guest kernel does not generate that path. */
int procfs_generate(machine_t *m, struct task_struct *t, const char *guest_abs, char **buf,
		    size_t *len);

/* A read-only host memfd holding buf: how generated files reach the
 * ordinary fd paths (read, lseek, fstat, mmap). Returns the fd or -errno. */
int procfs_memfd(const char *name, const char *buf, size_t len, int flags);

/* A write to a generated file (only /proc/PID/oom_score_adj takes one):
 * buf holds what the guest wrote (NUL-terminated, len bytes). 0 or -errno. */
int procfs_write(machine_t *m, struct task_struct *t, const char *guest_abs, const char *buf,
		 size_t len);

/* Whether the guest kernel generates the file at guest_abs (no work done). */
bool procfs_is_generated(const char *guest_abs);
/* Makes the contents of a generated file again into its memfd (reads from
 * offset 0 see the state of that moment, as with Linux's seq_file). */
void procfs_refresh(machine_t *m, struct task_struct *t, const char *guest_abs, int host_fd);

#endif
