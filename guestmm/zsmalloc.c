/* zsmalloc-like size classes: 64 classes (64, 128, ... 4096 bytes), each
 * with its own 64 KiB chunks; a chunk is freed as soon as it is empty. */
/*
 * A chunk is 64 KiB aligned, so an object finds its chunk by masking its
 * address. The chunk's first ZS_ALIGN bytes are its header; objects follow.
 * Each chunk keeps its own free list (threaded through the free objects)
 * and a count of fresh objects never handed out, so allocation and free
 * are O(1). A class lists its chunks that have room.
 */
#include <stdlib.h>

#include "list.h"
#include "zsmalloc.h"

#define ZS_NR_CLASSES (ZS_MAX_ALLOC_SIZE / ZS_ALIGN)

struct zs_chunk {
	struct list_head list;         /* in class->partial while not full */
	struct list_head all;          /* in pool->chunks */
	unsigned int class_idx;
	unsigned int inuse;            /* objects handed out */
	unsigned int nr_objs;
	unsigned int fresh;            /* objects after these never used */
	void *freelist;
};

struct zs_class {
	struct list_head partial;
};

struct zs_pool {
	struct zs_class classes[ZS_NR_CLASSES];
	struct list_head chunks;
	uint64_t pool_bytes, used_bytes;
};

_Static_assert(sizeof(struct zs_chunk) <= ZS_ALIGN, "chunk header fits its slot");

static size_t class_size(unsigned int idx)
{
	return (size_t)(idx + 1) * ZS_ALIGN;
}

struct zs_pool *zs_create_pool(void)
{
	struct zs_pool *pool = calloc(1, sizeof(*pool));

	if (!pool)
		return NULL;
	for (unsigned int i = 0; i < ZS_NR_CLASSES; i++)
		INIT_LIST_HEAD(&pool->classes[i].partial);
	INIT_LIST_HEAD(&pool->chunks);
	return pool;
}

static struct zs_chunk *chunk_of(void *obj)
{
	return (struct zs_chunk *)((uintptr_t)obj & ~(uintptr_t)(ZS_CHUNK_SIZE - 1));
}

void *zs_malloc(struct zs_pool *pool, size_t size)
{
	unsigned int idx;
	struct zs_class *class;
	struct zs_chunk *chunk;
	void *obj;

	if (size == 0 || size > ZS_MAX_ALLOC_SIZE)
		return NULL;
	idx = (unsigned int)((size + ZS_ALIGN - 1) / ZS_ALIGN) - 1;
	class = &pool->classes[idx];
	if (list_empty(&class->partial)) {
		chunk = aligned_alloc(ZS_CHUNK_SIZE, ZS_CHUNK_SIZE);
		if (!chunk)
			return NULL;
		chunk->class_idx = idx;
		chunk->inuse = 0;
		chunk->nr_objs = (unsigned int)((ZS_CHUNK_SIZE - ZS_ALIGN) / class_size(idx));
		chunk->fresh = 0;
		chunk->freelist = NULL;
		list_add(&chunk->list, &class->partial);
		list_add(&chunk->all, &pool->chunks);
		pool->pool_bytes += ZS_CHUNK_SIZE;
	}
	chunk = list_first_entry(&class->partial, struct zs_chunk, list);
	if (chunk->freelist) {
		obj = chunk->freelist;
		chunk->freelist = *(void **)obj;
	} else {
		obj = (char *)chunk + ZS_ALIGN + chunk->fresh * class_size(idx);
		chunk->fresh++;
	}
	if (++chunk->inuse == chunk->nr_objs)
		list_del_init(&chunk->list);
	pool->used_bytes += class_size(idx);
	return obj;
}

void zs_free(struct zs_pool *pool, void *obj)
{
	struct zs_chunk *chunk;

	if (!obj)
		return;
	chunk = chunk_of(obj);
	pool->used_bytes -= class_size(chunk->class_idx);
	if (chunk->inuse-- == chunk->nr_objs)
		list_add(&chunk->list, &pool->classes[chunk->class_idx].partial);
	if (chunk->inuse == 0) {
		list_del(&chunk->list);
		list_del(&chunk->all);
		pool->pool_bytes -= ZS_CHUNK_SIZE;
		free(chunk);
		return;
	}
	*(void **)obj = chunk->freelist;
	chunk->freelist = obj;
}

void zs_destroy_pool(struct zs_pool *pool)
{
	if (!pool)
		return;
	while (!list_empty(&pool->chunks)) {
		struct zs_chunk *chunk = list_first_entry(&pool->chunks, struct zs_chunk, all);

		list_del(&chunk->all);
		free(chunk);
	}
	free(pool);
}

uint64_t zs_pool_bytes(const struct zs_pool *pool)
{
	return pool ? pool->pool_bytes : 0;
}

uint64_t zs_used_bytes(const struct zs_pool *pool)
{
	return pool ? pool->used_bytes : 0;
}
