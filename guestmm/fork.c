/* The life of an mm_struct: mm_alloc builds an empty address space with its
 * own top-level table; mmput tears it down at the last user. After Linux's
 * kernel/fork.c (dup_mm, for fork, belongs here too). */
#include <errno.h>

#include "mm.h"
#include "slab.h"

struct mm_struct *mm_alloc(struct pglist_data *node)
{
	struct mm_struct *mm = kmem_cache_zalloc(node->mm_cachep);

	if (!mm)
		return NULL;
	mm->node = node;
	mm->mm_rb = RB_ROOT;
	INIT_LIST_HEAD(&mm->mmap_list);
	mm->mm_users = 1;
	if (pgd_alloc(mm)) {
		kmem_cache_free(node->mm_cachep, mm);
		return NULL;
	}
	return mm;
}

/*
 * dup_mm (fork) goes here: copy each VMA except VM_DONTCOPY ones, share
 * file pages, write-protect private anon PTEs in both parent and child
 * (one TLB flush for the parent), and raise mapcount/refcount of every
 * frame the child now maps; VM_WIPEONFORK VMAs start empty in the child.
 */

void mmput(struct mm_struct *mm)
{
	struct pglist_data *node;

	if (--mm->mm_users > 0)
		return;
	node = mm->node;
	exit_mmap(mm);
	pgd_free(mm);
	kmem_cache_free(node->mm_cachep, mm);
}
