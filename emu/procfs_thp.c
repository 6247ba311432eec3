/* The files that show THPs, khugepaged and fragmentation: /proc/buddyinfo,
 * /proc/pagetypeinfo, extfrag_index and /sys/kernel/mm/transparent_hugepage
 * (enabled is writable), in Linux 6.1's formats from the guest mm's state. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "procfs.h"
#include "strbuf.h"
#include "guestmm/huge_memory.h"

#define THP_DIR "/sys/kernel/mm/transparent_hugepage/"
#define KHUGEPAGED_DIR THP_DIR "khugepaged/"

/* /proc/buddyinfo: free blocks of each order, zone by zone. */
static void gen_buddyinfo(machine_t *m, struct strbuf *sb)
{
	for (int z = 0; z < m->node->nr_zones; z++) {
		const struct zone *zone = &m->node->node_zones[z];

		if (!zone->present_pages)
			continue;
		sb_printf(sb, "Node 0, zone %8s ", zone->name);
		for (int o = 0; o <= MAX_ORDER; o++)
			sb_printf(sb, "%6lu ", zone->free_area[o].nr_free);
		sb_printf(sb, "\n");
	}
}

/* /proc/pagetypeinfo as Linux prints it, with two migrate types: a
 * pageblock is Movable when it holds only free and movable (LRU) pages,
 * Unmovable otherwise (the guest allocator does not group by type, so the
 * type is read from the block's contents), and its free blocks are
 * counted under its type. */
static void gen_pagetypeinfo(machine_t *m, struct strbuf *sb)
{
	static const char *const types[2] = { "Unmovable", "Movable" };
	struct pglist_data *node = m->node;
	const unsigned long nr = 1UL << HPAGE_PMD_ORDER;

	sb_printf(sb, "Page block order: %d\nPages per block:  %lu\n\n", HPAGE_PMD_ORDER, nr);
	sb_printf(sb, "Free pages count per migrate type at order ");
	for (int o = 0; o <= MAX_ORDER; o++)
		sb_printf(sb, "%6d ", o);
	sb_printf(sb, "\n");
	for (int z = 0; z < node->nr_zones; z++) {
		const struct zone *zone = &node->node_zones[z];
		unsigned long counts[2][MAX_ORDER + 1] = { { 0 } };
		pfn_t end = zone->zone_start_pfn + zone->spanned_pages;

		if (!zone->present_pages)
			continue;
		for (pfn_t pfn = zone->zone_start_pfn; pfn < end; pfn++) {
			const struct page *page = pfn_to_page(node, pfn);

			if (PageFlag(page, PG_buddy))
				counts[pageblock_movable(node, pfn & ~(nr - 1))][page->private]++;
		}
		for (int t = 0; t < 2; t++) {
			sb_printf(sb, "Node %4d, zone %8s, type %12s ", 0, zone->name, types[t]);
			for (int o = 0; o <= MAX_ORDER; o++)
				sb_printf(sb, "%6lu ", counts[t][o]);
			sb_printf(sb, "\n");
		}
	}
	sb_printf(sb, "\nNumber of blocks type     %12s %12s\n", types[0], types[1]);
	for (int z = 0; z < node->nr_zones; z++) {
		const struct zone *zone = &node->node_zones[z];
		unsigned long blocks[2] = { 0, 0 };
		pfn_t end = zone->zone_start_pfn + zone->spanned_pages;

		if (!zone->present_pages)
			continue;
		for (pfn_t b = zone->zone_start_pfn & ~(nr - 1); b < end; b += nr)
			blocks[pageblock_movable(node, b)]++;
		sb_printf(sb, "Node %d, zone %8s %12lu %12lu\n", 0, zone->name, blocks[0], blocks[1]);
	}
}

/* /sys/kernel/debug/extfrag/extfrag_index: Linux's fragmentation index
 * of each order, in thousandths printed as a fraction. */
static void gen_extfrag_index(machine_t *m, struct strbuf *sb)
{
	for (int z = 0; z < m->node->nr_zones; z++) {
		const struct zone *zone = &m->node->node_zones[z];

		if (!zone->present_pages)
			continue;
		sb_printf(sb, "Node 0, zone %8s ", zone->name);
		for (unsigned int o = 0; o <= MAX_ORDER; o++) {
			int idx = fragmentation_index(m->node, zone, o);

			sb_printf(sb, "%s%d.%03d ", idx < 0 ? "-" : "", abs(idx) / 1000, abs(idx) % 1000);
		}
		sb_printf(sb, "\n");
	}
}

/* /sys/kernel/mm/transparent_hugepage/enabled: the mode in brackets. */
static void gen_thp_enabled(machine_t *m, struct strbuf *sb)
{
	int mode = m->node->thp_enabled;

	sb_printf(sb, "%s %s %s\n",
		  mode == TRANSPARENT_HUGEPAGE_ALWAYS ? "[always]" : "always",
		  mode == TRANSPARENT_HUGEPAGE_MADVISE ? "[madvise]" : "madvise",
		  mode == TRANSPARENT_HUGEPAGE_NEVER ? "[never]" : "never");
}

/* /sys/kernel/mm/transparent_hugepage/khugepaged/: its settings (fixed at
 * Linux's defaults, the sleep in time slices here) and its progress. */
static int gen_khugepaged(machine_t *m, const char *file, struct strbuf *sb)
{
	const struct pglist_data *node = m->node;

	if (!strcmp(file, "pages_to_scan"))
		sb_printf(sb, "%u\n", node->khugepaged_pages_to_scan);
	else if (!strcmp(file, "max_ptes_none"))
		sb_printf(sb, "%u\n", node->khugepaged_max_ptes_none);
	else if (!strcmp(file, "pages_collapsed"))
		sb_printf(sb, "%lu\n", node->khugepaged_pages_collapsed);
	else if (!strcmp(file, "full_scans"))
		sb_printf(sb, "%lu\n", node->khugepaged_full_scans);
	else
		return -ENOENT;
	return 0;
}

static const char *const generated[] = {
	"/proc/buddyinfo", "/proc/pagetypeinfo", "/sys/kernel/debug/extfrag/extfrag_index",
	THP_DIR "enabled", KHUGEPAGED_DIR "pages_to_scan", KHUGEPAGED_DIR "max_ptes_none",
	KHUGEPAGED_DIR "pages_collapsed", KHUGEPAGED_DIR "full_scans",
};

bool procfs_thp_is_generated(const char *path)
{
	for (size_t i = 0; i < sizeof(generated) / sizeof(generated[0]); i++)
		if (!strcmp(path, generated[i]))
			return true;
	return false;
}

int procfs_thp_generate(machine_t *m, const char *path, struct strbuf *sb)
{
	if (!strcmp(path, "/proc/buddyinfo"))
		gen_buddyinfo(m, sb);
	else if (!strcmp(path, "/proc/pagetypeinfo"))
		gen_pagetypeinfo(m, sb);
	else if (!strcmp(path, "/sys/kernel/debug/extfrag/extfrag_index"))
		gen_extfrag_index(m, sb);
	else if (!strcmp(path, THP_DIR "enabled"))
		gen_thp_enabled(m, sb);
	else if (!strncmp(path, KHUGEPAGED_DIR, strlen(KHUGEPAGED_DIR)))
		return gen_khugepaged(m, path + strlen(KHUGEPAGED_DIR), sb);
	else
		return -ENOENT;
	return 0;
}

bool procfs_thp_is_writable(const char *path)
{
	return !strcmp(path, THP_DIR "enabled");
}

/* Linux's enabled_store: one of the three words, a newline allowed. */
int procfs_thp_write(machine_t *m, const char *path, const char *buf)
{
	static const struct { const char *word; int mode; } modes[] = {
		{ "always", TRANSPARENT_HUGEPAGE_ALWAYS },
		{ "madvise", TRANSPARENT_HUGEPAGE_MADVISE },
		{ "never", TRANSPARENT_HUGEPAGE_NEVER },
	};
	size_t len = strlen(buf);

	if (!procfs_thp_is_writable(path))
		return -ENOENT;
	if (len && buf[len - 1] == '\n')
		len--;
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (len == strlen(modes[i].word) && !strncmp(buf, modes[i].word, len)) {
			m->node->thp_enabled = modes[i].mode;
			return 0;
		}
	return -EINVAL;
}
