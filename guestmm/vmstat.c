/* The names /proc/vmstat prints for each counter and event, generated from
 * the X-macro lists in vmstat.h so that names and enum values stay in step. */
#include "vmstat.h"

#define VMSTAT_NAME(id, name) [id] = name,

const char *const vmstat_stat_names[NR_VM_STAT_ITEMS] = {
	VM_STAT_ITEMS(VMSTAT_NAME)
};

const char *const vmstat_event_names[NR_VM_EVENT_ITEMS] = {
	VM_EVENT_ITEMS(VMSTAT_NAME)
};
