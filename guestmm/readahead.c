/* Readahead: the on-demand window logic of Linux's mm/readahead.c (a
 * window that starts small, quadruples then doubles while reads stay
 * sequential, and is dropped for small random reads), and the reads
 * themselves: runs of missing pages read from the host file with one
 * preadv straight into the guest frames. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/uio.h>

#include "readahead.h"
#include "page_alloc.h"
#include "swap.h"
#include "mm.h"

#define RA_BATCH 64            /* pages per host read */

void file_ra_state_init(struct file_ra_state *ra)
{
	memset(ra, 0, sizeof(*ra));
	ra->ra_pages = VM_READAHEAD_PAGES;
	ra->prev_pos = UINT64_MAX;
}

/* Reads the batch (consecutive indices from first) from the host and puts
 * it in the cache; on a host error the pages are freed. */
static unsigned long read_pages(struct address_space *mapping, uint64_t first,
				struct page **pages, unsigned int nr, uint64_t mark)
{
	struct pglist_data *node = mapping->node;
	struct iovec iov[RA_BATCH];
	size_t want = (size_t)nr * PAGE_SIZE, done = 0;
	unsigned long added = 0;

	for (unsigned int i = 0; i < nr; i++) {
		iov[i].iov_base = page_address(node, pages[i]);
		iov[i].iov_len = PAGE_SIZE;
	}
	if (mm_inject(node, MM_INJECT_FILE_READ)) {
		for (unsigned int i = 0; i < nr; i++)
			put_page(node, pages[i]);
		return 0;
	}
	while (done < want) {
		struct iovec *v = iov + done / PAGE_SIZE;
		size_t skip = done % PAGE_SIZE;
		struct iovec first_part = { (char *)v->iov_base + skip, PAGE_SIZE - skip };
		struct iovec tmp[RA_BATCH];
		int cnt = nr - (int)(done / PAGE_SIZE);
		ssize_t n;

		memcpy(tmp, v, (size_t)cnt * sizeof(*tmp));
		tmp[0] = first_part;
		n = preadv(mapping->host_file->host_fd, tmp, cnt,
			   (off_t)(first * PAGE_SIZE + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			for (unsigned int i = 0; i < nr; i++)
				put_page(node, pages[i]);
			return 0;
		}
		if (n == 0)
			break;
		done += (size_t)n;
	}
	/* Past EOF (the file shrank meanwhile, or the last page's tail) the
	 * frames read as zeroes, as mmap promises. */
	for (unsigned int i = 0; i < nr; i++) {
		size_t lo = (size_t)i * PAGE_SIZE;

		if (done < lo + PAGE_SIZE)
			memset((char *)iov[i].iov_base + (done > lo ? done - lo : 0), 0,
			       PAGE_SIZE - (done > lo ? done - lo : 0));
	}
	for (unsigned int i = 0; i < nr; i++) {
		if (add_to_page_cache(mapping, pages[i], first + i)) {
			put_page(node, pages[i]);
			continue;
		}
		SetPageFlag(pages[i], PG_uptodate);
		if (first + i == mark)
			SetPageFlag(pages[i], PG_readahead);
		added++;
	}
	/* pgpgin is in kB, as /proc/vmstat shows it. */
	count_vm_events(node, PGPGIN, (unsigned long)nr * (PAGE_SIZE / 1024));
	return added;
}

unsigned long do_page_cache_ra(struct address_space *mapping, uint64_t index,
			       unsigned long nr, unsigned long lookahead)
{
	struct page *batch[RA_BATCH];
	unsigned int nbatch = 0;
	uint64_t size, end, first = 0, mark;
	unsigned long read = 0;

	if (!mapping->host_file || mapping->shmem || !nr || filemap_host_size(mapping, &size) ||
	    !size)
		return 0;
	end = (size - 1) >> PAGE_SHIFT;               /* the last index */
	if (index > end)
		return 0;
	if (nr - 1 > end - index)
		nr = (unsigned long)(end - index + 1);
	mark = lookahead && lookahead <= nr ? index + nr - lookahead : UINT64_MAX;
	for (unsigned long i = 0; i <= nr; i++) {
		uint64_t idx = index + i;
		struct page *page = NULL;

		if (i < nr && !filemap_lookup(mapping, idx)) {
			/* Readahead does not push others out of memory: it
			 * stops where reclaim would be needed. */
			page = alloc_page(mapping->node, __GFP_NORETRY | __GFP_NOWARN);
			if (page && !nbatch)
				first = idx;
			if (page)
				batch[nbatch++] = page;
		}
		if (nbatch && (!page || nbatch == RA_BATCH || i + 1 == nr)) {
			read += read_pages(mapping, first, batch, nbatch, mark);
			nbatch = 0;
		}
		if (i < nr && !page && !filemap_lookup(mapping, idx))
			break;                        /* out of memory */
	}
	return read;
}

/* Linux's get_init_ra_size: the first window for a request of size pages. */
static unsigned long get_init_ra_size(unsigned long size, unsigned long max)
{
	unsigned long newsize = 1;

	while (newsize < size)
		newsize <<= 1;
	if (newsize <= max / 32)
		newsize *= 4;
	else if (newsize <= max / 4)
		newsize *= 2;
	else
		newsize = max;
	return newsize;
}

/* Linux's get_next_ra_size: the next window after a sequential hit. */
static unsigned long get_next_ra_size(const struct file_ra_state *ra, unsigned long max)
{
	unsigned long cur = ra->size;

	if (cur < max / 16)
		return 4 * cur;
	if (cur <= max / 2)
		return 2 * cur;
	return max;
}

/* Linux's ondemand_readahead, for a miss (hit_marker false) or a marker. */
static void ondemand_readahead(struct address_space *mapping, struct file_ra_state *ra,
			       bool hit_marker, uint64_t index, unsigned long req_size)
{
	unsigned long max_pages = ra->ra_pages;
	uint64_t prev_index;

	if (req_size > max_pages && max_pages)
		max_pages = req_size < 2 * VM_READAHEAD_PAGES ? req_size : 2 * VM_READAHEAD_PAGES;
	if (!index)
		goto initial;
	/* The index the last window said to expect: sequential. */
	if (ra->size && (index == ra->start + ra->size - ra->async_size ||
			 index == ra->start + ra->size)) {
		ra->start += ra->size;
		ra->size = (unsigned int)get_next_ra_size(ra, max_pages);
		ra->async_size = ra->size;
		goto readit;
	}
	/* A marker without the window state that set it (another reader of
	 * the same file): start a window after it, sized like the last. */
	if (hit_marker) {
		ra->start = index + 1;
		ra->size = (unsigned int)get_next_ra_size(ra, max_pages);
		if (!ra->size)
			ra->size = (unsigned int)get_init_ra_size(req_size, max_pages);
		ra->async_size = ra->size;
		goto readit;
	}
	if (req_size > max_pages)
		goto initial;
	/* A miss right after the last read: sequential from here. */
	prev_index = ra->prev_pos == UINT64_MAX ? UINT64_MAX : ra->prev_pos >> PAGE_SHIFT;
	if (prev_index != UINT64_MAX && index - prev_index <= 1)
		goto initial;
	/* A small random read: just what was asked, and no window. */
	do_page_cache_ra(mapping, index, req_size, 0);
	return;
initial:
	ra->start = index;
	ra->size = (unsigned int)get_init_ra_size(req_size, max_pages);
	ra->async_size = ra->size > req_size ? ra->size - (unsigned int)req_size : ra->size;
readit:
	/* A window that would hit its own marker at once is merged with the
	 * next one. */
	if (!hit_marker && index == ra->start && ra->size == ra->async_size) {
		unsigned long add = get_next_ra_size(ra, max_pages);

		if (ra->size + add <= max_pages) {
			ra->async_size = (unsigned int)add;
			ra->size += (unsigned int)add;
		} else {
			ra->size = (unsigned int)max_pages;
			ra->async_size = (unsigned int)max_pages >> 1;
		}
	}
	do_page_cache_ra(mapping, ra->start, ra->size, ra->async_size);
}

void page_cache_sync_readahead(struct address_space *mapping, struct file_ra_state *ra,
			       uint64_t index, unsigned long req_count)
{
	/* Readahead off (FADV_RANDOM): only what was asked. */
	if (!ra->ra_pages) {
		do_page_cache_ra(mapping, index, req_count, 0);
		return;
	}
	ondemand_readahead(mapping, ra, false, index, req_count);
}

void page_cache_async_readahead(struct address_space *mapping, struct file_ra_state *ra,
				uint64_t index, unsigned long req_count)
{
	if (!ra->ra_pages)
		return;
	ondemand_readahead(mapping, ra, true, index, req_count);
}

void force_page_cache_readahead(struct address_space *mapping, struct file_ra_state *ra,
				uint64_t index, unsigned long nr)
{
	unsigned long max = ra->ra_pages ? ra->ra_pages : VM_READAHEAD_PAGES;
	uint64_t size, pages;

	if (!mapping->host_file || filemap_host_size(mapping, &size))
		return;
	pages = (size + PAGE_SIZE - 1) >> PAGE_SHIFT;
	if (index >= pages)
		return;
	if (nr > pages - index)
		nr = (unsigned long)(pages - index);
	while (nr) {
		unsigned long chunk = nr < max ? nr : max;

		do_page_cache_ra(mapping, index, chunk, 0);
		index += chunk;
		nr -= chunk;
	}
}

void filemap_fault_readaround(struct address_space *mapping, struct file_ra_state *ra,
			      uint64_t index)
{
	unsigned long pages = ra->ra_pages;

	if (!pages) {
		do_page_cache_ra(mapping, index, 1, 0);
		return;
	}
	ra->start = index > pages / 2 ? index - pages / 2 : 0;
	ra->size = (unsigned int)pages;
	ra->async_size = (unsigned int)pages / 4;
	do_page_cache_ra(mapping, ra->start, ra->size, ra->async_size);
}
