/* The slab allocator: caches of equal-sized kernel objects carved out of
 * buddy blocks of guest frames, each cache with full, partial and free slab
 * lists, after Linux's mm/slab.c (with SLUB's page-based bookkeeping). */
/*
 * A slab is one buddy block of 2^cache->order frames. Every frame of it has
 * PG_slab and slab_cache set, so a pointer finds its cache; the head frame
 * (the block is aligned, so head pfn = pfn rounded down to 2^order) holds
 * the slab's state: lru links it on one of the cache's lists, freelist is
 * the first free object (each free object keeps the next in its first word)
 * and private counts the objects in use. A slab is on slabs_full when
 * private == objects, on slabs_free when private == 0, else on
 * slabs_partial. Objects are host pointers into node->ram and never move.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "page_alloc.h"
#include "slab.h"

/* A slab should hold at least this many objects, without growing past
 * Linux's PAGE_ALLOC_COSTLY_ORDER unless one object needs more. */
#define SLAB_MIN_OBJECTS 8
#define SLAB_MAX_ORDER 3

struct kmem_cache {
	struct pglist_data *node;
	char *name;
	size_t object_size;            /* as asked for: what zalloc zeroes */
	size_t size;                   /* stride between objects */
	unsigned int order;            /* of each slab's buddy block */
	unsigned int objects;          /* per slab */
	bool reclaimable;
	struct list_head slabs_full;
	struct list_head slabs_partial;
	struct list_head slabs_free;
	unsigned long nr_slabs;
	unsigned long nr_free_slabs;
	unsigned long active_objs;
	struct list_head list;         /* in node->slab_caches */
};

static void slab_err(const struct kmem_cache *cache, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void slab_err(const struct kmem_cache *cache, const char *fmt, ...)
{
	struct pglist_data *node = cache->node;
	char msg[160];
	int n;
	va_list ap;

	if (!node->ops || !node->ops->log)
		return;
	n = snprintf(msg, sizeof(msg), "BUG %s: ", cache->name);
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - n, fmt, ap);
	va_end(ap);
	node->ops->log(node->host, 3, msg);
}

static void *get_freepointer(const void *object)
{
	void *next;

	memcpy(&next, object, sizeof(next));
	return next;
}

static void set_freepointer(void *object, void *next)
{
	memcpy(object, &next, sizeof(next));
}

static enum node_stat_item slab_stat(const struct kmem_cache *cache)
{
	return cache->reclaimable ? NR_SLAB_RECLAIMABLE : NR_SLAB_UNRECLAIMABLE;
}

/* Host structures the objects stand for may hold 16-byte-aligned members
 * (long double, __int128), and malloc promises 16; smaller objects only
 * need room and alignment for the free pointer. */
static size_t slab_align(size_t size)
{
	return size >= 16 ? 16 : 8;
}

static unsigned int calculate_order(size_t size)
{
	unsigned int order = 0;

	while (order < SLAB_MAX_ORDER && (PAGE_SIZE << order) / size < SLAB_MIN_OBJECTS)
		order++;
	while ((PAGE_SIZE << order) < size)
		order++;
	return order;
}

struct kmem_cache *kmem_cache_create(struct pglist_data *node, const char *name,
				     size_t size, bool reclaimable)
{
	struct kmem_cache *cache;
	size_t align;

	if (!node || !name || size == 0 || size > (PAGE_SIZE << MAX_ORDER))
		return NULL;
	cache = calloc(1, sizeof(*cache));
	if (!cache)
		return NULL;
	cache->name = strdup(name);
	if (!cache->name) {
		free(cache);
		return NULL;
	}
	align = slab_align(size);
	cache->node = node;
	cache->object_size = size;
	cache->size = (size + align - 1) & ~(align - 1);
	cache->order = calculate_order(cache->size);
	cache->objects = (PAGE_SIZE << cache->order) / cache->size;
	cache->reclaimable = reclaimable;
	INIT_LIST_HEAD(&cache->slabs_full);
	INIT_LIST_HEAD(&cache->slabs_partial);
	INIT_LIST_HEAD(&cache->slabs_free);
	list_add_tail(&cache->list, &node->slab_caches);
	return cache;
}

/* A fresh slab, on slabs_free, with every object chained in address order. */
static struct page *allocate_slab(struct kmem_cache *cache)
{
	struct pglist_data *node = cache->node;
	unsigned long nr = 1UL << cache->order;
	struct page *slab = alloc_pages(node, GFP_KERNEL, cache->order);
	uint8_t *base;

	if (!slab)
		return NULL;
	for (unsigned long i = 0; i < nr; i++) {
		SetPageFlag(slab + i, PG_slab);
		slab[i].slab_cache = cache;
	}
	base = page_address(node, slab);
	for (unsigned int i = 0; i < cache->objects; i++)
		set_freepointer(base + i * cache->size,
				i + 1 < cache->objects ? base + (i + 1) * cache->size : NULL);
	slab->freelist = base;
	slab->private = 0;
	list_add(&slab->lru, &cache->slabs_free);
	cache->nr_slabs++;
	cache->nr_free_slabs++;
	mod_node_page_state(node, slab_stat(cache), (long)nr);
	return slab;
}

/* Give a slab's frames back to the buddy allocator. Its objects must be
 * free, or their owners left holding pointers into recycled frames. */
static void discard_slab(struct kmem_cache *cache, struct page *slab)
{
	unsigned long nr = 1UL << cache->order;

	list_del(&slab->lru);
	cache->nr_slabs--;
	for (unsigned long i = 0; i < nr; i++) {
		ClearPageFlag(slab + i, PG_slab);
		slab[i].slab_cache = NULL;
		slab[i].freelist = NULL;
		slab[i].private = 0;
	}
	mod_node_page_state(cache->node, slab_stat(cache), -(long)nr);
	__free_pages(cache->node, slab, cache->order);
}

void *kmem_cache_zalloc(struct kmem_cache *cache)
{
	struct page *slab;
	void *object;

	if (!cache)
		return NULL;
	if (!list_empty(&cache->slabs_partial))
		slab = list_first_entry(&cache->slabs_partial, struct page, lru);
	else if (!list_empty(&cache->slabs_free))
		slab = list_first_entry(&cache->slabs_free, struct page, lru);
	else if (!(slab = allocate_slab(cache)))
		return NULL;

	object = slab->freelist;
	slab->freelist = get_freepointer(object);
	if (slab->private++ == 0) {
		cache->nr_free_slabs--;
		list_move(&slab->lru, &cache->slabs_partial);
	}
	if (slab->private == cache->objects)
		list_move(&slab->lru, &cache->slabs_full);
	cache->active_objs++;
	memset(object, 0, cache->object_size);
	return object;
}

/* The head frame of the slab holding object, or NULL (and a report) when
 * object is not one of cache's objects. */
static struct page *virt_to_slab(struct kmem_cache *cache, const void *object)
{
	struct pglist_data *node = cache->node;
	uintptr_t ram = (uintptr_t)node->ram, addr = (uintptr_t)object;
	uintptr_t offset;
	struct page *page, *slab;
	pfn_t pfn;

	if (addr < ram || addr - ram >= (uintptr_t)node->node_present_pages << PAGE_SHIFT) {
		slab_err(cache, "free of %p, which is outside guest memory", object);
		return NULL;
	}
	pfn = (addr - ram) >> PAGE_SHIFT;
	page = pfn_to_page(node, pfn);
	if (!PageFlag(page, PG_slab) || page->slab_cache != cache) {
		slab_err(cache, "free of %p, which is not an object of this cache", object);
		return NULL;
	}
	slab = pfn_to_page(node, pfn & ~((1UL << cache->order) - 1));
	offset = addr - (uintptr_t)page_address(node, slab);
	if (offset % cache->size || offset / cache->size >= cache->objects) {
		slab_err(cache, "free of %p, which points inside an object", object);
		return NULL;
	}
	return slab;
}

void kmem_cache_free(struct kmem_cache *cache, void *object)
{
	struct page *slab;
	bool was_full;

	if (!cache || !object)
		return;
	slab = virt_to_slab(cache, object);
	if (!slab)
		return;
	/* Catches the common double free cheaply, as SLUB's hardened freelist
	 * does; an empty slab has nothing left to free at all. */
	if (object == slab->freelist || slab->private == 0) {
		slab_err(cache, "double free of %p", object);
		return;
	}
	was_full = slab->private == cache->objects;
	set_freepointer(object, slab->freelist);
	slab->freelist = object;
	slab->private--;
	cache->active_objs--;

	if (slab->private == 0) {
		/* Keep one empty slab to absorb alloc/free churn at a slab
		 * boundary; any more go back to the buddy allocator. */
		if (cache->nr_free_slabs > 0) {
			discard_slab(cache, slab);
		} else {
			list_move(&slab->lru, &cache->slabs_free);
			cache->nr_free_slabs++;
		}
	} else if (was_full) {
		list_move(&slab->lru, &cache->slabs_partial);
	}
}

/* Linux refuses to destroy a cache that still has objects and leaks it; we
 * report the same, keep those slabs' frames out of the buddy allocator
 * (their objects may still be in use), and free everything else. */
void kmem_cache_destroy(struct kmem_cache *cache)
{
	struct list_head *lists[2], *pos, *n;

	if (!cache)
		return;
	lists[0] = &cache->slabs_full;
	lists[1] = &cache->slabs_partial;
	if (cache->active_objs)
		slab_err(cache, "kmem_cache_destroy: %lu objects remaining; their slabs are leaked",
			 cache->active_objs);
	for (size_t l = 0; l < sizeof(lists) / sizeof(lists[0]); l++) {
		list_for_each_safe(pos, n, lists[l]) {
			struct page *slab = list_entry(pos, struct page, lru);

			list_del(&slab->lru);
			for (unsigned long i = 0; i < 1UL << cache->order; i++) {
				ClearPageFlag(slab + i, PG_slab);
				slab[i].slab_cache = NULL;
				slab[i].freelist = NULL;
				slab[i].private = 0;
			}
			mod_node_page_state(cache->node, slab_stat(cache),
					    -(long)(1UL << cache->order));
		}
	}
	list_for_each_safe(pos, n, &cache->slabs_free) {
		discard_slab(cache, list_entry(pos, struct page, lru));
		cache->nr_free_slabs--;
	}

	if (cache->node->vma_cachep == cache)
		cache->node->vma_cachep = NULL;
	if (cache->node->mm_cachep == cache)
		cache->node->mm_cachep = NULL;
	list_del(&cache->list);
	free(cache->name);
	free(cache);
}

void kmem_cache_destroy_all(struct pglist_data *node)
{
	struct list_head *pos, *n;

	list_for_each_safe(pos, n, &node->slab_caches)
		kmem_cache_destroy(list_entry(pos, struct kmem_cache, list));
}

const char *kmem_cache_name(const struct kmem_cache *cache)
{
	return cache->name;
}

unsigned long kmem_cache_active_objs(const struct kmem_cache *cache)
{
	return cache->active_objs;
}

unsigned long kmem_cache_total_pages(const struct kmem_cache *cache)
{
	return cache->nr_slabs << cache->order;
}
