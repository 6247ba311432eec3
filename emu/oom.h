/* Memory pressure on the machine's side: the OOM killer's choice among
 * tasks (guestmm only knows mms), and the /proc files about it. */
#ifndef EMU_OOM_H
#define EMU_OOM_H

#include <stdbool.h>

struct oom_control;
struct vmemu_machine;

/* Gives the machine's node its swap device and swappiness from the config
 * (swap_bytes -1: half of RAM). 0, VMEMU_ERR_INVAL or VMEMU_ERR_NOMEM. */
int machine_swap_setup(struct vmemu_machine *m);

/* mm_host_ops.oom_kill for a node (host = struct vmemu_node *): picks the
 * process with the highest oom_badness (oom_score_adj honoured, -1000
 * never), logs Linux's report, and kills it with SIGKILL. Another process
 * is reaped at once, so that the allocation can retry; the allocating one
 * gets the reserves and dies at its next fault or scheduling point. A node
 * without a machine (the mm-level API) kills nothing. */
void machine_oom_kill(void *host, struct oom_control *oc);

/* mm_host_ops.reclaim_done for a node: raises VMEMU_EVENT_RECLAIM. */
void node_reclaim_done(void *host, unsigned long scanned, unsigned long reclaimed, bool direct);

#endif
