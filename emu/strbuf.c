/* A growable text buffer (strbuf.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

static int sb_reserve(struct strbuf *sb, size_t more)
{
	size_t cap;
	char *nb;

	if (sb->len + more < sb->cap)
		return 0;
	cap = (sb->cap ? sb->cap * 2 : 4096) + more;
	nb = realloc(sb->buf, cap);
	if (!nb) {
		sb->err = -ENOMEM;
		return -1;
	}
	sb->buf = nb;
	sb->cap = cap;
	return 0;
}

void sb_printf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (sb->err)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(sb->buf + sb->len, sb->cap - sb->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			sb->err = -EINVAL;
			return;
		}
		if (sb->len + (size_t)n < sb->cap)
			break;
		if (sb_reserve(sb, (size_t)n))
			return;
	}
	sb->len += (size_t)n;
}

void sb_append(struct strbuf *sb, const void *data, size_t len)
{
	if (sb->err || sb_reserve(sb, len))
		return;
	memcpy(sb->buf + sb->len, data, len);
	sb->len += len;
	sb->buf[sb->len] = '\0';
}
