/* The life of an mm_struct: mm_alloc builds an empty address space with its
 * own top-level table; mmput tears it down at the last user. After Linux's
 * kernel/fork.c (dup_mm, for fork, belongs here too). */
#include <errno.h>

#include <stdlib.h>
#include <string.h>

#include "mm.h"
#include "rmap.h"
#include "slab.h"
#include "huge_memory.h"

struct mm_struct *mm_alloc(struct pglist_data *node)
{
	struct mm_struct *mm = kmem_cache_zalloc(node->mm_cachep);

	if (!mm)
		return NULL;
	mm->node = node;
	mm->mm_rb = RB_ROOT;
	INIT_LIST_HEAD(&mm->mmap_list);
	mm->mm_users = 1;
	mm_rmap_init(mm);
	if (pgd_alloc(mm)) {
		mm_rmap_exit(mm);
		kmem_cache_free(node->mm_cachep, mm);
		return NULL;
	}
	return mm;
}

/* Linux's dup_mmap: copy each VMA except VM_DONTCOPY ones, share file
 * pages, write-protect private anon PTEs in both parent and child (one TLB
 * flush for the parent), and raise mapcount/refcount of every frame the
 * child now maps; VM_WIPEONFORK VMAs start empty in the child. */
struct mm_struct *dup_mm(struct mm_struct *oldmm)
{
	struct mm_struct *mm = mm_alloc(oldmm->node);
	struct list_head *pos;
	bool wrprotected = false;

	if (!mm)
		return NULL;
	mm->mmap_base = oldmm->mmap_base;
	mm->start_code = oldmm->start_code;
	mm->end_code = oldmm->end_code;
	mm->start_data = oldmm->start_data;
	mm->end_data = oldmm->end_data;
	mm->start_brk = oldmm->start_brk;
	mm->brk = oldmm->brk;
	mm->start_stack = oldmm->start_stack;
	mm->arg_start = oldmm->arg_start;
	mm->arg_end = oldmm->arg_end;
	mm->env_start = oldmm->env_start;
	mm->env_end = oldmm->env_end;
	if (oldmm->saved_auxv) {
		size_t bytes = (size_t)oldmm->saved_auxv_words * sizeof(uint64_t);

		mm->saved_auxv = malloc(bytes);
		if (mm->saved_auxv) {
			memcpy(mm->saved_auxv, oldmm->saved_auxv, bytes);
			mm->saved_auxv_words = oldmm->saved_auxv_words;
		}
	}
	mm->def_flags = oldmm->def_flags;
	mm->rlim_stack = oldmm->rlim_stack;
	mm->hiwater_rss = 0;
	/* The child maps its parent's anon pages: same rmap family. */
	anon_vma_fork(mm, oldmm);

	list_for_each(pos, &oldmm->mmap_list) {
		struct vm_area_struct *vma = list_entry(pos, struct vm_area_struct, vm_list);
		struct vm_area_struct *new;
		long pages = (long)((vma->vm_end - vma->vm_start) >> PAGE_SHIFT);

		if (vma->vm_flags & VM_DONTCOPY)
			continue;
		new = vm_area_dup(vma);
		if (!new)
			goto fail;
		new->vm_mm = mm;
		/* Locks are not inherited (Linux clears VM_LOCKED in the child). */
		new->vm_flags &= ~(VM_LOCKED | VM_LOCKONFAULT);
		new->anon_vma = vma->anon_vma ? (void *)mm->anon_vma : NULL;
		vma_link(mm, new);
		vm_stat_account(mm, new->vm_flags, pages);
		if (vma->vm_flags & VM_WIPEONFORK) {
			new->anon_vma = NULL;
			continue;
		}
		if (copy_page_range(new, vma, &wrprotected))
			goto fail;
	}
	if (wrprotected && oldmm->node->ops && oldmm->node->ops->flush_tlb)
		oldmm->node->ops->flush_tlb(oldmm->node->host);
	return mm;
fail:
	if (wrprotected && oldmm->node->ops && oldmm->node->ops->flush_tlb)
		oldmm->node->ops->flush_tlb(oldmm->node->host);
	mmput(mm);
	return NULL;
}

void mmput(struct mm_struct *mm)
{
	struct pglist_data *node;

	if (--mm->mm_users > 0)
		return;
	node = mm->node;
	khugepaged_exit(mm);
	exit_mmap(mm);
	pgd_free(mm);
	if (mm->oom_victim)
		node->oom_reserves = false;
	mm_rmap_exit(mm);
	free(mm->saved_auxv);
	kmem_cache_free(node->mm_cachep, mm);
}
