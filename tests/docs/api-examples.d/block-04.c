typedef void (*vmemu_event_fn)(void *ctx, const struct vmemu_event *ev);

struct fault_counts { unsigned long in, major, refused; uint64_t last_addr; };

static void count_faults(void *ctx, const struct vmemu_event *ev)
{
	struct fault_counts *c = ctx;

	switch (ev->kind) {
	case VMEMU_EVENT_FAULT_IN:
		c->in++;
		c->major += ev->fault.major != 0;
		break;
	case VMEMU_EVENT_FAULT_ERROR:
		c->refused++;
		c->last_addr = ev->fault.addr;   /* page aligned */
		break;
	case VMEMU_EVENT_OOM_KILL:           /* not raised yet */
		(void)ev->oom_kill.rss_kb;
		break;
	case VMEMU_EVENT_RECLAIM:            /* not raised yet */
		(void)ev->reclaim.scanned, (void)ev->reclaim.reclaimed,
			(void)ev->reclaim.direct;
		break;
	}
}
