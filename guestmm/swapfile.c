/* The swap device and the swap cache: slots with a count of the PTEs that
 * reference them, each holding one page compressed with zlib in host
 * memory (zsmalloc.c), checked by crc32 when read; and the pages of slots
 * that are in memory, findable by entry. After Linux's mm/swapfile.c,
 * mm/swap_state.c and zram. */
/*
 * Invariants:
 * - slot 0 is never handed out (Linux keeps its header page there), so a
 *   valid entry has an offset in [1, max);
 * - a slot is in use (used) iff its count > 0 or the swap cache holds a
 *   page for it; inuse_pages counts used slots;
 * - count is the number of PTEs holding the entry, in every mm;
 * - a swap-cache page has PG_swapcache, private = its offset, and one
 *   reference held by the cache; it is counted in NR_SWAPCACHE and, as in
 *   Linux, in NR_FILE_PAGES;
 * - a slot's stored copy (SLOT_STORED) is the page's content as of its
 *   last swap_writepage; a cached page that is not PG_dirty (and whose
 *   PTEs are clean) still equals it, so reclaim may drop it unwritten.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "swap.h"
#include "zsmalloc.h"

enum {
	SLOT_STORED = 1,      /* the slot holds the page's data */
	SLOT_SAME_FILLED = 2, /* ... as one repeated 64-bit word (fill) */
	SLOT_RAW = 4,         /* ... uncompressed (it did not compress) */
};

struct swap_slot {
	union {
		void *obj;            /* zsmalloc object */
		uint64_t fill;        /* SLOT_SAME_FILLED */
	};
	uint32_t crc;                 /* crc32 of the whole page */
	uint16_t length;              /* bytes of obj */
	uint8_t flags;
	uint8_t used;
	uint32_t count;
};

struct swap_info_struct {
	unsigned long max;            /* slots, slot 0 included */
	unsigned long inuse_pages;
	unsigned long next;           /* next-fit search start */
	struct swap_slot *slots;
	struct page **cache;
	int level;
	struct zs_pool *pool;
	z_stream def, inf;
	bool def_ok, inf_ok;
	unsigned long stored_pages, same_filled_pages, raw_pages, crc_errors;
	uint64_t compressed_bytes;
	uint8_t buf[PAGE_SIZE];
};

/* Compressed data bigger than this saves too little to be worth keeping
 * compressed (and its decompression costs time): it is stored raw. */
#define MAX_COMPRESSED (PAGE_SIZE - PAGE_SIZE / 8)

static void swap_log(struct pglist_data *node, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void swap_log(struct pglist_data *node, int level, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	if (!node->ops || !node->ops->log)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	node->ops->log(node->host, level, msg);
}

int swapon(struct pglist_data *node, unsigned long nr_pages, int level)
{
	struct swap_info_struct *si;

	if (level < 0 || level > 9)
		return -EINVAL;
	if (node->swap)
		return -EBUSY;
	if (nr_pages == 0)
		return 0;
	si = calloc(1, sizeof(*si));
	if (!si)
		return -ENOMEM;
	si->max = nr_pages + 1;
	si->next = 1;
	si->level = level;
	si->slots = calloc(si->max, sizeof(*si->slots));
	si->cache = calloc(si->max, sizeof(*si->cache));
	si->pool = zs_create_pool();
	/* Raw deflate with a 4 KiB window (memLevel 8: a smaller hash made
	 * level 1 twice slower on mixed data): a page is all there is to see,
	 * and the crc32 beside each slot replaces zlib's own check. */
	si->def_ok = deflateInit2(&si->def, level, Z_DEFLATED, -12, 8,
				  Z_DEFAULT_STRATEGY) == Z_OK;
	si->inf_ok = inflateInit2(&si->inf, -12) == Z_OK;
	if (!si->slots || !si->cache || !si->pool || !si->def_ok || !si->inf_ok) {
		node->swap = si;
		swap_destroy(node);
		return -ENOMEM;
	}
	node->swap = si;
	return 0;
}

void swap_destroy(struct pglist_data *node)
{
	struct swap_info_struct *si = node->swap;

	if (!si)
		return;
	if (si->def_ok)
		deflateEnd(&si->def);
	if (si->inf_ok)
		inflateEnd(&si->inf);
	zs_destroy_pool(si->pool);
	free(si->slots);
	free(si->cache);
	free(si);
	node->swap = NULL;
}

int swapoff(struct pglist_data *node)
{
	if (!node->swap)
		return 0;
	if (node->swap->inuse_pages)
		return -EBUSY;
	swap_destroy(node);
	return 0;
}

/* The slot of a valid entry, or NULL. */
static struct swap_slot *entry_slot(struct pglist_data *node, swp_entry_t entry)
{
	struct swap_info_struct *si = node->swap;
	uint64_t off = swp_offset(entry);

	if (!si || swp_type(entry) != 0 || off == 0 || off >= si->max || !si->slots[off].used)
		return NULL;
	return &si->slots[off];
}

static void slot_drop_data(struct swap_info_struct *si, struct swap_slot *slot)
{
	if (!(slot->flags & SLOT_STORED))
		return;
	si->stored_pages--;
	if (slot->flags & SLOT_SAME_FILLED) {
		si->same_filled_pages--;
	} else {
		if (slot->flags & SLOT_RAW)
			si->raw_pages--;
		si->compressed_bytes -= slot->length;
		zs_free(si->pool, slot->obj);
	}
	slot->obj = NULL;
	slot->flags = 0;
	slot->length = 0;
}

static void slot_release(struct swap_info_struct *si, unsigned long off)
{
	struct swap_slot *slot = &si->slots[off];

	slot_drop_data(si, slot);
	slot->used = 0;
	slot->count = 0;
	si->inuse_pages--;
}

/* Next fit from where the last search stopped, as Linux's scan_swap_map
 * does within a cluster: consecutive swap-outs get consecutive slots,
 * which is what readahead reads together. */
static unsigned long get_swap_slot(struct swap_info_struct *si)
{
	if (si->inuse_pages >= si->max - 1)
		return 0;
	for (unsigned long n = 0; n < si->max; n++) {
		unsigned long off = si->next++;

		if (si->next >= si->max)
			si->next = 1;
		if (off == 0 || off >= si->max)
			continue;
		if (!si->slots[off].used) {
			si->slots[off].used = 1;
			si->slots[off].count = 0;
			si->inuse_pages++;
			return off;
		}
	}
	return 0;
}

static void add_to_swap_cache(struct pglist_data *node, struct page *page, unsigned long off)
{
	node->swap->cache[off] = page;
	page->private = (uint32_t)off;
	SetPageFlag(page, PG_swapcache);
	get_page(page);
	mod_node_page_state(node, NR_SWAPCACHE, 1);
	mod_node_page_state(node, NR_FILE_PAGES, 1);
}

bool add_to_swap(struct pglist_data *node, struct page *page)
{
	unsigned long off;

	if (!node->swap || PageFlag(page, PG_swapcache))
		return false;
	off = get_swap_slot(node->swap);
	if (!off)
		return false;
	add_to_swap_cache(node, page, off);
	SetPageFlag(page, PG_dirty);
	return true;
}

void delete_from_swap_cache(struct pglist_data *node, struct page *page)
{
	struct swap_info_struct *si = node->swap;
	unsigned long off = page->private;

	if (!PageFlag(page, PG_swapcache) || !si || off >= si->max || si->cache[off] != page)
		return;
	si->cache[off] = NULL;
	ClearPageFlag(page, PG_swapcache);
	page->private = 0;
	mod_node_page_state(node, NR_SWAPCACHE, -1);
	mod_node_page_state(node, NR_FILE_PAGES, -1);
	if (si->slots[off].count == 0)
		slot_release(si, off);
	put_page(node, page);
}

int swap_duplicate(struct pglist_data *node, swp_entry_t entry)
{
	struct swap_slot *slot = entry_slot(node, entry);

	if (!slot)
		return -EINVAL;
	slot->count++;
	return 0;
}

void swap_free(struct pglist_data *node, swp_entry_t entry)
{
	struct swap_slot *slot = entry_slot(node, entry);
	uint64_t off = swp_offset(entry);

	if (!slot || slot->count == 0) {
		swap_log(node, 3, "swap_free: bad swap entry %#llx", (unsigned long long)entry.val);
		return;
	}
	if (--slot->count == 0 && !node->swap->cache[off])
		slot_release(node->swap, off);
}

void free_swap_and_cache(struct pglist_data *node, swp_entry_t entry)
{
	struct page *page;

	swap_free(node, entry);
	if (!entry_slot(node, entry) || swp_swapcount(node, entry))
		return;
	page = node->swap->cache[swp_offset(entry)];
	/* Nobody will ever ask for this copy again; a cached page nobody
	 * maps or holds goes with it (Linux's try_to_free_swap). */
	if (page && page_mapcount(page) == 0 && page_count(page) == 1)
		delete_from_swap_cache(node, page);
}

int swp_swapcount(struct pglist_data *node, swp_entry_t entry)
{
	struct swap_slot *slot = entry_slot(node, entry);

	return slot ? (int)slot->count : 0;
}

struct page *lookup_swap_cache(struct pglist_data *node, swp_entry_t entry)
{
	if (!entry_slot(node, entry))
		return NULL;
	return node->swap->cache[swp_offset(entry)];
}

bool try_to_free_swap(struct pglist_data *node, struct page *page)
{
	if (!PageFlag(page, PG_swapcache) || swp_swapcount(node, page_swap_entry(page)))
		return false;
	/* The page is the only copy from now on. */
	SetPageFlag(page, PG_dirty);
	delete_from_swap_cache(node, page);
	return true;
}

bool vm_swap_full(struct pglist_data *node)
{
	struct swap_info_struct *si = node->swap;

	return si && si->inuse_pages * 2 > si->max - 1;
}

/* ---- writing and reading ---- */

static bool page_same_filled(const uint64_t *words, uint64_t *fill)
{
	for (size_t i = 1; i < PAGE_SIZE / sizeof(*words); i++)
		if (words[i] != words[0])
			return false;
	*fill = words[0];
	return true;
}

int swap_writepage(struct pglist_data *node, struct page *page)
{
	struct swap_info_struct *si = node->swap;
	const uint8_t *data = page_address(node, page);
	unsigned long off = page->private;
	struct swap_slot *slot;
	const void *src = data;
	size_t len = PAGE_SIZE;
	uint8_t flags = SLOT_STORED;
	uint64_t fill;

	if (!si || !PageFlag(page, PG_swapcache) || off >= si->max)
		return -EINVAL;
	slot = &si->slots[off];
	slot_drop_data(si, slot);
	if (page_same_filled((const uint64_t *)data, &fill)) {
		slot->fill = fill;
		flags |= SLOT_SAME_FILLED;
		si->same_filled_pages++;
	} else {
		deflateReset(&si->def);
		si->def.next_in = (Bytef *)data;
		si->def.avail_in = PAGE_SIZE;
		si->def.next_out = si->buf;
		si->def.avail_out = MAX_COMPRESSED;
		if (!mm_inject(node, MM_INJECT_DEFLATE) &&
		    deflate(&si->def, Z_FINISH) == Z_STREAM_END) {
			src = si->buf;
			len = MAX_COMPRESSED - si->def.avail_out;
		} else {
			flags |= SLOT_RAW;
		}
		slot->obj = zs_malloc(si->pool, len);
		if (!slot->obj)
			return -ENOMEM;
		memcpy(slot->obj, src, len);
		slot->length = (uint16_t)len;
		si->compressed_bytes += len;
		if (flags & SLOT_RAW)
			si->raw_pages++;
	}
	slot->crc = (uint32_t)crc32(0L, data, PAGE_SIZE);
	slot->flags = flags;
	si->stored_pages++;
	ClearPageFlag(page, PG_dirty);
	count_vm_event(node, PSWPOUT);
	count_vm_events(node, PGPGOUT, PAGE_SIZE / 1024);
	return 0;
}

/* Decompresses slot off into page and checks it: 0 or -EIO, said loudly. */
static int swap_readpage(struct pglist_data *node, unsigned long off, struct page *page)
{
	struct swap_info_struct *si = node->swap;
	struct swap_slot *slot = &si->slots[off];
	uint8_t *data = page_address(node, page);
	uint32_t crc;
	int ret;

	flush_icache_page(node, page);
	if (!(slot->flags & SLOT_STORED)) {
		swap_log(node, 3, "swap: read of slot %lu, which holds no data", off);
		return -EIO;
	}
	if (slot->flags & SLOT_SAME_FILLED) {
		for (size_t i = 0; i < PAGE_SIZE / sizeof(uint64_t); i++)
			((uint64_t *)data)[i] = slot->fill;
	} else if (slot->flags & SLOT_RAW) {
		memcpy(data, slot->obj, PAGE_SIZE);
	} else {
		inflateReset(&si->inf);
		si->inf.next_in = slot->obj;
		si->inf.avail_in = slot->length;
		si->inf.next_out = data;
		si->inf.avail_out = PAGE_SIZE;
		ret = mm_inject(node, MM_INJECT_INFLATE) ? Z_DATA_ERROR : inflate(&si->inf, Z_FINISH);
		if (ret != Z_STREAM_END || si->inf.avail_out != 0) {
			si->crc_errors++;
			swap_log(node, 2, "swap: slot %lu does not decompress (zlib %d): "
				 "the swapped page is lost", off, ret);
			return -EIO;
		}
	}
	crc = (uint32_t)crc32(0L, data, PAGE_SIZE);
	if (crc != slot->crc) {
		si->crc_errors++;
		swap_log(node, 2, "swap: crc32 mismatch in slot %lu (stored %08x, read %08x): "
			 "the swapped page is corrupt", off, slot->crc, crc);
		return -EIO;
	}
	count_vm_event(node, PSWPIN);
	count_vm_events(node, PGPGIN, PAGE_SIZE / 1024);
	return 0;
}

/* A new page for slot off, read and in the swap cache and on the LRU, with
 * one reference besides the cache's; NULL on failure (*err). */
static struct page *read_swap_page(struct pglist_data *node, unsigned long off,
				   unsigned int gfp, int *err)
{
	struct page *page = alloc_page(node, gfp);

	if (!page) {
		*err = -ENOMEM;
		return NULL;
	}
	/* The allocation may have reclaimed; it never drops a slot a PTE
	 * holds, but it could not have added this one to the cache. */
	if (swap_readpage(node, off, page)) {
		put_page(node, page);
		*err = -EIO;
		return NULL;
	}
	SetPageFlag(page, PG_anon);
	SetPageFlag(page, PG_swapbacked);
	SetPageFlag(page, PG_uptodate);
	add_to_swap_cache(node, page, off);
	lru_cache_add(node, page);
	return page;
}

struct page *swapin_readahead(struct pglist_data *node, swp_entry_t entry, bool *major,
			      int *err)
{
	struct swap_info_struct *si = node->swap;
	unsigned long off = swp_offset(entry), start, end;
	struct page *page;

	*major = false;
	if (!entry_slot(node, entry)) {
		swap_log(node, 3, "swap: bad swap entry %#llx in a PTE",
			 (unsigned long long)entry.val);
		*err = -EIO;
		return NULL;
	}
	page = si->cache[off];
	if (page) {
		get_page(page);
		return page;
	}
	page = read_swap_page(node, off, 0, err);
	if (!page)
		return NULL;
	*major = true;
	/* Readahead: the other slots of the aligned cluster that PTEs still
	 * hold, only while memory is plentiful (no reclaim for them). */
	start = off & ~((1UL << SWAP_RA_ORDER) - 1);
	end = start + (1UL << SWAP_RA_ORDER);
	if (end > si->max)
		end = si->max;
	for (unsigned long o = start ? start : 1; o < end; o++) {
		struct page *ra;
		int ra_err;

		if (o == off || !si->slots[o].used || !si->slots[o].count || si->cache[o])
			continue;
		ra = read_swap_page(node, o, __GFP_NORETRY | __GFP_NOWARN, &ra_err);
		if (!ra) {
			if (ra_err == -ENOMEM)
				break;
			continue;
		}
		put_page(node, ra);      /* the cache keeps it */
	}
	return page;
}

void swap_get_stats(struct pglist_data *node, struct swap_stats *st)
{
	struct swap_info_struct *si = node->swap;

	memset(st, 0, sizeof(*st));
	st->cached_pages = (unsigned long)node->stat.stat[NR_SWAPCACHE];
	if (!si)
		return;
	st->total_pages = si->max - 1;
	st->free_pages = si->max - 1 - si->inuse_pages;
	st->stored_pages = si->stored_pages;
	st->same_filled_pages = si->same_filled_pages;
	st->raw_pages = si->raw_pages;
	st->compressed_bytes = si->compressed_bytes;
	st->pool_bytes = zs_pool_bytes(si->pool);
	st->crc_errors = si->crc_errors;
}

int swap_corrupt_entry(struct pglist_data *node, swp_entry_t entry)
{
	struct swap_slot *slot = entry_slot(node, entry);

	if (!slot || !(slot->flags & SLOT_STORED))
		return -ENOENT;
	if (slot->flags & SLOT_SAME_FILLED)
		slot->fill ^= 0x10;
	else
		((uint8_t *)slot->obj)[slot->length / 2] ^= 0x10;
	return 0;
}
