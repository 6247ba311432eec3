/* A size-class allocator for compressed pages in host memory, after
 * Linux's zsmalloc: objects of up to 4096 bytes, rounded up to a multiple
 * of 64, carved from 64 KiB chunks, so that a page compressed to 900 bytes
 * costs 960, not a malloc block and its header. */
#ifndef GUESTMM_ZSMALLOC_H
#define GUESTMM_ZSMALLOC_H

#include <stddef.h>
#include <stdint.h>

#define ZS_ALIGN 64
#define ZS_MAX_ALLOC_SIZE 4096
#define ZS_CHUNK_SIZE (64 * 1024)

struct zs_pool;

struct zs_pool *zs_create_pool(void);
/* Frees every chunk, objects still allocated included. */
void zs_destroy_pool(struct zs_pool *pool);
/* An object of size bytes (1 .. ZS_MAX_ALLOC_SIZE), or NULL. */
void *zs_malloc(struct zs_pool *pool, size_t size);
void zs_free(struct zs_pool *pool, void *obj);
/* Host memory held in chunks, and bytes handed out (rounded sizes). */
uint64_t zs_pool_bytes(const struct zs_pool *pool);
uint64_t zs_used_bytes(const struct zs_pool *pool);

#endif
