/* The slab allocator for the guest kernel's own small objects (VMAs, mm
 * structs, ...): objects live in guest frames from the buddy allocator, so
 * they count as Slab in meminfo as they do on Linux. */
#ifndef GUESTMM_SLAB_H
#define GUESTMM_SLAB_H

#include "mmzone.h"

struct kmem_cache;

/* reclaimable: counted as SReclaimable rather than SUnreclaim. */
struct kmem_cache *kmem_cache_create(struct pglist_data *node, const char *name,
				     size_t size, bool reclaimable);
void kmem_cache_destroy(struct kmem_cache *cache);
/* Returns zeroed memory, or NULL when no frame can be had. */
void *kmem_cache_zalloc(struct kmem_cache *cache);
void kmem_cache_free(struct kmem_cache *cache, void *obj);

/* For /proc/slabinfo-like reports. */
const char *kmem_cache_name(const struct kmem_cache *cache);
unsigned long kmem_cache_active_objs(const struct kmem_cache *cache);
unsigned long kmem_cache_total_pages(const struct kmem_cache *cache);

/* Destroys every cache of the node (at node teardown). */
void kmem_cache_destroy_all(struct pglist_data *node);

#endif
