/* Futexes: FUTEX_WAIT/WAKE (with bitsets), REQUEUE and CMP_REQUEUE, WAKE_OP,
 * private or not, keyed by (mm, address) as Linux keys private futexes. A
 * waiter sleeps in the guest kernel; the scheduler runs the others. */
#include <limits.h>
#include <sys/syscall.h>

#include "syscall.h"

#define FUTEX_WAIT            0
#define FUTEX_WAKE            1
#define FUTEX_REQUEUE         3
#define FUTEX_CMP_REQUEUE     4
#define FUTEX_WAKE_OP         5
#define FUTEX_WAIT_BITSET     9
#define FUTEX_WAKE_BITSET     10
#define FUTEX_PRIVATE_FLAG    128
#define FUTEX_CLOCK_REALTIME  256
#define FUTEX_CMD_MASK        (~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME))
#define FUTEX_BITSET_MATCH_ANY 0xffffffffu

/* Linux's futex keys: a private futex (or any word in anonymous memory)
 * is (mm, address); a shared one in a file or shmem page is (the page's
 * address_space, its offset), so processes mapping it anywhere meet. */
struct futex_key {
	uint64_t a, b;
};

static struct futex_key get_futex_key(struct mm_struct *mm, uint64_t uaddr, bool private)
{
	struct futex_key k = { (uint64_t)(uintptr_t)mm, uaddr };
	pte_t *pte;

	if (private || !mm)
		return k;
	pte = pte_offset(mm, uaddr);
	if (pte && pte_present(*pte)) {
		struct page *page = pfn_to_page(mm->node, pte_pfn(*pte));

		if (!PageFlag(page, PG_anon) && page->mapping) {
			k.a = (uint64_t)(uintptr_t)page->mapping;
			k.b = (page->index << PAGE_SHIFT) | (uaddr & (PAGE_SIZE - 1));
		}
	}
	return k;
}

static bool waits_on(struct task_struct *w, struct futex_key k)
{
	return w->state == TASK_INTERRUPTIBLE && w->futex_uaddr == k.b &&
	       w->futex_key_mm == k.a && !w->futex_woken;
}

static int futex_wake_key(machine_t *m, struct futex_key k, int nr, uint32_t bitset)
{
	int woken = 0;

	/* Oldest waiter first: the task list is newest first, so walk it
	 * once and wake from the end of the matching set. */
	while (woken < nr) {
		struct task_struct *oldest = NULL;

		for (struct task_struct *w = m->tasks; w; w = w->next)
			if (waits_on(w, k) && (w->futex_bitset & bitset))
				oldest = w;
		if (!oldest)
			break;
		oldest->futex_woken = true;
		woken++;
	}
	return woken;
}

int futex_wake(machine_t *m, struct mm_struct *mm, uint64_t uaddr, int nr, uint32_t bitset)
{
	return futex_wake_key(m, get_futex_key(mm, uaddr, false), nr, bitset);
}

static int futex_wait_ready(machine_t *m, struct task_struct *t, long *result)
{
	if (t->futex_woken) {
		t->futex_woken = false;
		t->futex_uaddr = 0;
		t->wake_deadline_ns = 0;
		*result = 0;
		return WAIT_RESULT;
	}
	if (t->wake_deadline_ns && machine_now_ns(m) >= t->wake_deadline_ns) {
		t->futex_uaddr = 0;
		t->wake_deadline_ns = 0;
		*result = -ETIMEDOUT;
		return WAIT_RESULT;
	}
	return WAIT_SLEEP;
}

static long futex_wait(machine_t *m, struct task_struct *t, uint64_t uaddr, uint32_t val,
		       uint64_t utime, uint32_t bitset, bool absolute, bool realtime, bool private)
{
	struct futex_key k;

	uint32_t cur;
	int64_t ts[2];

	if (!bitset)
		return -EINVAL;
	if (uaddr & 3)
		return -EINVAL;
	if (copy_from_user(t->mm, &cur, uaddr, sizeof(cur)))
		return -EFAULT;
	if (cur != val)
		return -EAGAIN;
	t->wake_deadline_ns = 0;
	if (utime) {
		uint64_t when;

		if (copy_from_user(t->mm, ts, utime, sizeof(ts)))
			return -EFAULT;
		if (ts[0] < 0 || ts[1] < 0 || ts[1] >= 1000000000)
			return -EINVAL;
		when = (uint64_t)ts[0] * 1000000000ULL + (uint64_t)ts[1];
		if (absolute)
			/* An absolute time on CLOCK_REALTIME or MONOTONIC. */
			t->wake_deadline_ns = machine_now_ns(m) +
				(when > machine_clock_ns(m, realtime) ? when - machine_clock_ns(m, realtime) : 0);
		else
			t->wake_deadline_ns = machine_now_ns(m) + when;
		if (t->wake_deadline_ns == machine_now_ns(m))
			return -ETIMEDOUT;
	}
	k = get_futex_key(t->mm, uaddr, private);
	t->futex_key_mm = k.a;
	t->futex_uaddr = k.b;
	t->futex_bitset = bitset;
	t->futex_woken = false;
	return task_sleep(m, t, futex_wait_ready);
}

/* Moves up to nr waiters from key k to key k2. */
static int futex_requeue(machine_t *m, struct futex_key k, struct futex_key k2, int nr)
{
	int moved = 0;

	for (struct task_struct *w = m->tasks; w && moved < nr; w = w->next) {
		if (!waits_on(w, k))
			continue;
		w->futex_key_mm = k2.a;
		w->futex_uaddr = k2.b;
		moved++;
	}
	return moved;
}

/* FUTEX_WAKE_OP's operation on *uaddr2, and its comparison. */
static long futex_wake_op(machine_t *m, struct task_struct *t, uint64_t uaddr, int nr,
			  int nr2, uint64_t uaddr2, uint32_t encoded, bool private)
{
	int op = (encoded >> 28) & 7, cmp = (encoded >> 24) & 15;
	uint32_t oparg = (encoded >> 12) & 0xfff, cmparg = encoded & 0xfff, old, new;
	bool hit;
	int woken;

	if (encoded & (8u << 28))
		oparg = 1u << (oparg & 31);
	if (copy_from_user(t->mm, &old, uaddr2, sizeof(old)))
		return -EFAULT;
	switch (op) {
	case 0: new = oparg; break;
	case 1: new = old + oparg; break;
	case 2: new = old | oparg; break;
	case 3: new = old & ~oparg; break;
	case 4: new = old ^ oparg; break;
	default: return -ENOSYS;
	}
	if (copy_to_user(t->mm, uaddr2, &new, sizeof(new)))
		return -EFAULT;
	switch (cmp) {
	case 0: hit = old == cmparg; break;
	case 1: hit = old != cmparg; break;
	case 2: hit = (int32_t)old < (int32_t)cmparg; break;
	case 3: hit = (int32_t)old <= (int32_t)cmparg; break;
	case 4: hit = (int32_t)old > (int32_t)cmparg; break;
	case 5: hit = (int32_t)old >= (int32_t)cmparg; break;
	default: return -ENOSYS;
	}
	woken = futex_wake_key(m, get_futex_key(t->mm, uaddr, private), nr, FUTEX_BITSET_MATCH_ANY);
	if (hit)
		woken += futex_wake_key(m, get_futex_key(t->mm, uaddr2, private), nr2,
					FUTEX_BITSET_MATCH_ANY);
	return woken;
}

static long sys_futex(machine_t *m, struct task_struct *t, const uint64_t *a)
{
	uint64_t uaddr = a[0], utime = a[3], uaddr2 = a[4];
	int op = (int)a[1], cmd = op & FUTEX_CMD_MASK;
	uint32_t val = (uint32_t)a[2], val3 = (uint32_t)a[5], cur;
	bool realtime = op & FUTEX_CLOCK_REALTIME, private = op & FUTEX_PRIVATE_FLAG;
	/* Linux passes the count in the timeout slot as a u32 read as int. */
	int nr2 = (int)(uint32_t)utime;

	if (realtime && cmd != FUTEX_WAIT_BITSET && cmd != FUTEX_WAIT)
		return -ENOSYS;
	/* The word must be there, aligned, for every operation (Linux's
	 * get_futex_key), so a bad address is EFAULT/EINVAL even for WAKE. */
	if (uaddr & 3)
		return -EINVAL;
	if (copy_from_user(t->mm, &cur, uaddr, sizeof(cur)))
		return -EFAULT;
	switch (cmd) {
	case FUTEX_WAIT:
		return futex_wait(m, t, uaddr, val, utime, FUTEX_BITSET_MATCH_ANY, false, false,
				  private);
	case FUTEX_WAIT_BITSET:
		return futex_wait(m, t, uaddr, val, utime, val3, true, realtime, private);
	case FUTEX_WAKE:
		return futex_wake_key(m, get_futex_key(t->mm, uaddr, private),
				      (int)val > 0 ? (int)val : 0, FUTEX_BITSET_MATCH_ANY);
	case FUTEX_WAKE_BITSET:
		if (!val3)
			return -EINVAL;
		return futex_wake_key(m, get_futex_key(t->mm, uaddr, private),
				      (int)val > 0 ? (int)val : 0, val3);
	case FUTEX_CMP_REQUEUE:
	case FUTEX_REQUEUE: {
		uint32_t dummy;
		int woken;

		if ((int)val < 0 || nr2 < 0)
			return -EINVAL;
		if ((uaddr2 & 3))
			return -EINVAL;
		if (copy_from_user(t->mm, &dummy, uaddr2, sizeof(dummy)))
			return -EFAULT;
		if (cmd == FUTEX_CMP_REQUEUE && cur != val3)
			return -EAGAIN;
		woken = futex_wake_key(m, get_futex_key(t->mm, uaddr, private), (int)val,
				       FUTEX_BITSET_MATCH_ANY);
		return woken + futex_requeue(m, get_futex_key(t->mm, uaddr, private),
					     get_futex_key(t->mm, uaddr2, private), nr2);
	}
	case FUTEX_WAKE_OP:
		return futex_wake_op(m, t, uaddr, (int)val, nr2, uaddr2, val3, private);
	default:
		return -ENOSYS;
	}
}

void sys_futex_register(struct syscall_desc *table)
{
	SYSCALL(table, SYS_futex, sys_futex);
}
