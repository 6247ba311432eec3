/* Fault injection (vmemu_config.inject, the program's --inject): host
 * operations that fail on a schedule, to test the error paths. */
#ifndef EMU_INJECT_H
#define EMU_INJECT_H

#include "machine.h"
#include "guestmm/mmzone.h"

/* The guest mm's points (enum mm_inject_point), then the machine's own. */
enum inject_point {
	INJECT_FSYNC = MM_INJECT_INFLATE + 1,   /* a host fsync/fdatasync */
	INJECT_ALLOC,                           /* vmemu's metadata for an open file */
	NR_INJECT_POINTS
};

/* Parses spec ("POINT@N[+][:ERRNO],..."); 0, or -1 when it is not one. */
int inject_parse(machine_t *m, const char *spec);
void inject_free(machine_t *m);
/* 0 to go ahead, or the -errno the operation at point fails with now. */
int machine_inject(machine_t *m, int point);
/* mm_host_ops.inject for the machine's node. */
int node_inject(void *host, enum mm_inject_point point);

#endif
