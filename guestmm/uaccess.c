/* The kernel's access to guest virtual memory: copy_to_user and friends walk
 * the guest's page tables page by page, faulting pages in on a miss exactly
 * as a guest access would, and fail with -EFAULT where the guest would fault. */
#include <errno.h>
#include <string.h>

#include "mm.h"

/* Linux's access_ok: the whole range below TASK_SIZE, without wrapping. */
static bool access_ok(uint64_t addr, size_t len)
{
	return len <= TASK_SIZE && addr <= TASK_SIZE - len;
}

/*
 * The host address of the guest page holding addr, for a kernel read or
 * write. RW is honoured (Linux runs with CR0.WP) and a miss goes through the
 * fault path, which checks the VMA, so a kernel write into a read-only
 * mapping fails as in Linux. The walk asks for the user bit although this is
 * the kernel: every user page has it except PROT_NONE ones (mprotect.c keeps
 * those present without it, where Linux makes them not present), and those
 * must fault here too. The fault itself is the kernel's (no
 * FAULT_FLAG_USER): no guest access will refill the TLB after it.
 */
static uint8_t *user_page(struct mm_struct *mm, uint64_t addr, bool write)
{
	struct pglist_data *node = mm->node;
	unsigned int flags = write ? FAULT_FLAG_WRITE : 0;
	unsigned int prot;
	uint64_t paddr;

	if (!mmu_translate(mm, addr, flags | FAULT_FLAG_USER, &paddr, &prot)) {
		if (handle_mm_fault(mm, addr, flags, NULL) & VM_FAULT_ERROR)
			return NULL;
		if (!mmu_translate(mm, addr, flags | FAULT_FLAG_USER, &paddr, &prot))
			return NULL;
	}
	if (write) {
		struct page *page = pfn_to_page(node, paddr >> PAGE_SHIFT);

		/* Code translated from this frame (a read() into a code page)
		 * must not outlive the write. PG_exec stays set: the TLB may
		 * still let the guest execute from the frame and have it
		 * translated again without another fill. */
		if (PageFlag(page, PG_exec) && node->ops && node->ops->invalidate_code)
			node->ops->invalidate_code(node->host, paddr >> PAGE_SHIFT);
	}
	return node->ram + paddr;
}

static size_t chunk_len(uint64_t addr, size_t len)
{
	size_t room = PAGE_SIZE - (addr & (PAGE_SIZE - 1));

	return len < room ? len : room;
}

int copy_to_user(struct mm_struct *mm, uint64_t dst, const void *src, size_t len)
{
	const uint8_t *from = src;

	if (!access_ok(dst, len))
		return -EFAULT;
	while (len) {
		size_t n = chunk_len(dst, len);
		uint8_t *to = user_page(mm, dst & PAGE_MASK, true);

		if (!to)
			return -EFAULT;
		memcpy(to + (dst & (PAGE_SIZE - 1)), from, n);
		dst += n;
		from += n;
		len -= n;
	}
	return 0;
}

int copy_from_user(struct mm_struct *mm, void *dst, uint64_t src, size_t len)
{
	uint8_t *to = dst;

	if (!access_ok(src, len)) {
		memset(dst, 0, len);
		return -EFAULT;
	}
	while (len) {
		size_t n = chunk_len(src, len);
		const uint8_t *from = user_page(mm, src & PAGE_MASK, false);

		if (!from) {
			/* As Linux: the uncopied tail is zeroed, so no stale
			 * kernel data is used by mistake. */
			memset(to, 0, len);
			return -EFAULT;
		}
		memcpy(to, from + (src & (PAGE_SIZE - 1)), n);
		src += n;
		to += n;
		len -= n;
	}
	return 0;
}

long strncpy_from_user(struct mm_struct *mm, char *dst, uint64_t src, size_t max)
{
	size_t done = 0;

	while (done < max) {
		uint64_t addr = src + done;
		size_t n = chunk_len(addr, max - done);
		const uint8_t *from, *nul;

		if (addr >= TASK_SIZE || addr < src)
			return -EFAULT;
		from = user_page(mm, addr & PAGE_MASK, false);
		if (!from)
			return -EFAULT;
		from += addr & (PAGE_SIZE - 1);
		nul = memchr(from, 0, n);
		if (nul) {
			memcpy(dst + done, from, (size_t)(nul - from) + 1);
			return (long)(done + (size_t)(nul - from));
		}
		memcpy(dst + done, from, n);
		done += n;
	}
	return -ENAMETOOLONG;
}

int clear_user(struct mm_struct *mm, uint64_t dst, size_t len)
{
	if (!access_ok(dst, len))
		return -EFAULT;
	while (len) {
		size_t n = chunk_len(dst, len);
		uint8_t *to = user_page(mm, dst & PAGE_MASK, true);

		if (!to)
			return -EFAULT;
		memset(to + (dst & (PAGE_SIZE - 1)), 0, n);
		dst += n;
		len -= n;
	}
	return 0;
}
