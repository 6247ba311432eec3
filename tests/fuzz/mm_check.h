/* A debug check of a whole node's memory-manager state, for the fuzz
 * targets and their regression replays: frames, page tables, VMAs, the
 * page cache and the counters must all agree (see mm_check.c). */
#ifndef TESTS_FUZZ_MM_CHECK_H
#define TESTS_FUZZ_MM_CHECK_H

#include <stdio.h>

#include "guestmm/mm.h"

/* Checks node and the address spaces mms[0..nr_mms) — which must be every
 * address space of the node, since references held by others would look
 * like leaks. Prints each violation found (at most a screenful) to out,
 * when out is non-NULL, and returns how many there were. Reads only. */
int mm_check_node(struct pglist_data *node, struct mm_struct *const *mms, int nr_mms,
		  FILE *out);

/* With no mm left: every address_space of the node is detached from any
 * host file (its cache kept after the last close, as on Linux) and holds
 * no mapped or dirty page. The first offender's description, or NULL. */
const char *mm_check_page_cache_idle(struct pglist_data *node);

#endif
