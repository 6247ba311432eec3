/* --strace formatting: a syscall's line in strace's style, built in two
 * steps around the call (strace.c). */
#ifndef EMU_STRACE_H
#define EMU_STRACE_H

#include "task.h"

struct sig_desc;

struct strace_call {
	char text[768];       /* "name(arg, arg, " as decoded before the call */
	size_t len, split;
	int deferred;         /* first argument decoded after the call, or -1 */
	const struct sig_desc *sig;
};

void strace_enter(machine_t *m, struct task_struct *t, uint64_t nr, const uint64_t *a,
		  struct strace_call *c);
void strace_exit(machine_t *m, struct task_struct *t, uint64_t nr, const uint64_t *a, long ret,
		 struct strace_call *c);

#endif
