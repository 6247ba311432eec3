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

/* procfs_dir.c: the directories /proc, /proc/PID, /proc/PID/fd,
 * /proc/PID/task and /proc/PID/task/TID[/fd]. */
/* Is guest_abs (normalised) one of them, for a live guest task? */
int procfs_dir_lookup(machine_t *m, const char *guest_abs);
/* Opens it (flags as open's), listing the guest's state of this moment:
 * a host fd or -errno. */
int procfs_dir_open(machine_t *m, struct task_struct *t, const char *guest_abs, int flags);
/* The guest path of a host path inside those directories, or NULL. */
char *procfs_dir_guest_path(machine_t *m, const char *host_path);
/* Removes the host directory that holds them (machine teardown). */
void procfs_dir_cleanup(machine_t *m);

/* /proc/PID/pagemap: read by entries, not generated as text. */
bool procfs_is_pagemap(const char *guest_abs);
/* Up to nentries entries from byte offset pos (a multiple of 8): how many
 * (0 at the end of the address space), or -ESRCH. */
long procfs_pagemap_read(machine_t *m, struct task_struct *t, const char *guest_abs,
			 uint64_t pos, uint64_t *buf, size_t nentries);
/* /proc/PID/smaps of mm, malloc'd (NULL on ENOMEM). */
char *procfs_smaps(struct mm_struct *mm);

/* Between the procfs*.c files. */
struct strbuf;
/* procfs_sys.c: /proc/stat, uptime, loadavg, swaps and /proc/sys/vm files:
 * 0 with sb filled, or -ENOENT for another path. */
int procfs_sys_generate(machine_t *m, const char *guest_abs, struct strbuf *sb);
bool procfs_sys_is_writable(const char *guest_abs);
int procfs_sys_write(machine_t *m, struct task_struct *t, const char *guest_abs,
		     const char *buf);
/* procfs_thp.c: /proc/buddyinfo, /proc/pagetypeinfo, extfrag_index and
 * /sys/kernel/mm/transparent_hugepage/ files: 0 with sb filled, or
 * -ENOENT for another path; `enabled` takes always, madvise or never. */
int procfs_thp_generate(machine_t *m, const char *guest_abs, struct strbuf *sb);
bool procfs_thp_is_generated(const char *guest_abs);
bool procfs_thp_is_writable(const char *guest_abs);
int procfs_thp_write(machine_t *m, const char *guest_abs, const char *buf);
/* The load averages of /proc/loadavg (fixed point, 11 bits), brought up
 * to date; sysinfo(2) shares them. */
void procfs_loadavg(machine_t *m, unsigned long avenrun[3]);
/* /proc/PID/stat of the process t leads. */
void procfs_task_stat(machine_t *m, struct task_struct *t, struct strbuf *sb);

#endif
