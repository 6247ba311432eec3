/* Readahead: reading a file's pages into the page cache before they are
 * asked for, in windows that grow while access is sequential. */
#ifndef GUESTMM_READAHEAD_H
#define GUESTMM_READAHEAD_H

#include "filemap.h"

/* The largest window, in pages: Linux's default read_ahead_kb of 128. */
#define VM_READAHEAD_PAGES 32

void file_ra_state_init(struct file_ra_state *ra);
/* Reads the pages of [index, index + nr) that are not cached (clipped at
 * EOF), from the host in runs of contiguous pages, marking the page
 * lookahead before the end with PG_readahead. Pages read. */
unsigned long do_page_cache_ra(struct address_space *mapping, uint64_t index,
			       unsigned long nr, unsigned long lookahead);
/* A read missed the cache at index, wanting req_count pages from there
 * (Linux's page_cache_sync_ra). */
void page_cache_sync_readahead(struct address_space *mapping, struct file_ra_state *ra,
			       uint64_t index, unsigned long req_count);
/* A read reached a PG_readahead page at index (Linux's page_cache_async_ra). */
void page_cache_async_readahead(struct address_space *mapping, struct file_ra_state *ra,
				uint64_t index, unsigned long req_count);
/* POSIX_FADV_WILLNEED and readahead(2): reads [index, index + nr) in
 * windows of the largest size. */
void force_page_cache_readahead(struct address_space *mapping, struct file_ra_state *ra,
				uint64_t index, unsigned long nr);
/* A fault on a file mapping missed the cache at index: reads the window
 * around it (Linux's do_sync_mmap_readahead). */
void filemap_fault_readaround(struct address_space *mapping, struct file_ra_state *ra,
			      uint64_t index);

#endif
