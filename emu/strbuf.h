/* A growable text buffer for the files and reports the guest kernel
 * generates: printf into it; the first allocation failure sticks in err. */
#ifndef EMU_STRBUF_H
#define EMU_STRBUF_H

#include <stddef.h>

struct strbuf {
	char *buf;
	size_t len, cap;
	int err;                 /* 0, or the first -errno */
};

void sb_printf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends len bytes (which may hold NULs). */
void sb_append(struct strbuf *sb, const void *data, size_t len);

#endif
