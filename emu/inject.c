/* Fault injection: a schedule of host operations to fail. A spec is a
 * comma-separated list of POINT@N (the Nth such operation fails), POINT@N+
 * (the Nth and every later one), each with an optional :ERRNO (EIO by
 * default, ENOMEM for alloc). Points: read (a page read from a host file),
 * write (a write to a host file: write-through or writeback), fsync,
 * deflate and inflate (swap compression), alloc (an open file's
 * metadata). Counting starts at 1 with the first operation of the run. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "inject.h"
#include "node.h"

struct inject_rule {
	int point;
	unsigned long nth;
	bool onward;
	int err;                    /* negative errno */
};

struct inject_state {
	struct inject_rule *rules;
	size_t nrules;
	unsigned long count[NR_INJECT_POINTS];
};

static const char *const point_names[NR_INJECT_POINTS] = {
	[MM_INJECT_FILE_READ] = "read", [MM_INJECT_FILE_WRITE] = "write",
	[MM_INJECT_DEFLATE] = "deflate", [MM_INJECT_INFLATE] = "inflate",
	[INJECT_FSYNC] = "fsync", [INJECT_ALLOC] = "alloc",
};

static int parse_errno(const char *s, size_t len)
{
	static const struct { const char *name; int err; } names[] = {
		{ "EIO", EIO }, { "ENOSPC", ENOSPC }, { "ENOMEM", ENOMEM }, { "EDQUOT", EDQUOT },
		{ "EFBIG", EFBIG }, { "EROFS", EROFS },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i].name) == len && !strncmp(s, names[i].name, len))
			return names[i].err;
	return 0;
}

static int parse_rule(const char *s, size_t len, struct inject_rule *r)
{
	const char *at = memchr(s, '@', len), *colon, *end = s + len;
	char *num_end;
	int point = -1;

	if (!at)
		return -1;
	for (int p = 0; p < NR_INJECT_POINTS; p++)
		if (strlen(point_names[p]) == (size_t)(at - s) && !strncmp(s, point_names[p], at - s))
			point = p;
	if (point < 0)
		return -1;
	r->point = point;
	r->nth = strtoul(at + 1, &num_end, 10);
	if (num_end == at + 1 || r->nth == 0 || num_end > end)
		return -1;
	r->onward = num_end < end && *num_end == '+';
	colon = num_end + r->onward;
	r->err = point == INJECT_ALLOC ? -ENOMEM : -EIO;
	if (colon < end) {
		int e;

		if (*colon != ':' || !(e = parse_errno(colon + 1, (size_t)(end - colon - 1))))
			return -1;
		r->err = -e;
	}
	return 0;
}

static struct inject_state *parse(const char *spec)
{
	struct inject_state *st = calloc(1, sizeof(*st));
	const char *p = spec;

	if (!st)
		return NULL;
	while (*p) {
		size_t len = strcspn(p, ",");
		struct inject_rule *v = realloc(st->rules, (st->nrules + 1) * sizeof(*v));

		if (!v || parse_rule(p, len, &v[st->nrules])) {
			free(v ? v : st->rules);
			free(st);
			return NULL;
		}
		st->rules = v;
		st->nrules++;
		p += len + (p[len] == ',');
	}
	return st;
}

int inject_parse(machine_t *m, const char *spec)
{
	m->inject = parse(spec);
	return m->inject ? 0 : -1;
}

int vmemu_inject_check(const char *spec)
{
	struct inject_state *st = spec ? parse(spec) : NULL;

	if (!st)
		return VMEMU_ERR_INVAL;
	free(st->rules);
	free(st);
	return 0;
}

void inject_free(machine_t *m)
{
	unsigned long *c;

	if (!m->inject)
		return;
	/* How many of each operation the run made: what a schedule counts,
	 * to aim one at a given operation of a deterministic run. */
	c = m->inject->count;
	machine_log(m, VMEMU_LOG_INFO, "inject: the run made read %lu, write %lu, fsync %lu, "
		    "deflate %lu, inflate %lu, alloc %lu", c[MM_INJECT_FILE_READ],
		    c[MM_INJECT_FILE_WRITE], c[INJECT_FSYNC], c[MM_INJECT_DEFLATE],
		    c[MM_INJECT_INFLATE], c[INJECT_ALLOC]);
	free(m->inject->rules);
	free(m->inject);
	m->inject = NULL;
}

int machine_inject(machine_t *m, int point)
{
	struct inject_state *st = m ? m->inject : NULL;
	unsigned long n;

	if (!st || point < 0 || point >= NR_INJECT_POINTS)
		return 0;
	n = ++st->count[point];
	for (size_t i = 0; i < st->nrules; i++) {
		const struct inject_rule *r = &st->rules[i];

		if (r->point == point && (n == r->nth || (r->onward && n > r->nth))) {
			machine_log(m, VMEMU_LOG_INFO, "inject: %s #%lu fails with errno %d",
				    point_names[point], n, -r->err);
			return r->err;
		}
	}
	return 0;
}

int node_inject(void *host, enum mm_inject_point point)
{
	struct vmemu_node *n = host;

	return machine_inject(n->machine, (int)point);
}
