/* A small SQLite shell for the compatibility tests: opens the database file
 * DB, runs each SQL script given after it on a fresh connection (so that
 * what one script wrote must come back from the host file), and prints the
 * rows of every statement as a|b|c lines. Built with gcc -static against
 * libsqlite3-dev's libsqlite3.a. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (!f)
		return NULL;
	do {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 8192;
			buf = realloc(buf, cap + 1);
			if (!buf)
				exit(1);
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n);
	fclose(f);
	buf[len] = 0;
	return buf;
}

static int print_row(void *ctx, int ncol, char **val, char **col)
{
	(void)ctx;
	(void)col;
	for (int i = 0; i < ncol; i++)
		printf("%s%s", i ? "|" : "", val[i] ? val[i] : "NULL");
	putchar('\n');
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: %s DB SCRIPT...\n", argv[0]);
		return 2;
	}
	for (int i = 2; i < argc; i++) {
		sqlite3 *db;
		char *sql = slurp(argv[i]), *err = NULL;

		if (!sql) {
			perror(argv[i]);
			return 1;
		}
		if (sqlite3_open(argv[1], &db) != SQLITE_OK) {
			fprintf(stderr, "%s: %s\n", argv[1], sqlite3_errmsg(db));
			return 1;
		}
		printf("-- %s\n", strrchr(argv[i], '/') ? strrchr(argv[i], '/') + 1 : argv[i]);
		if (sqlite3_exec(db, sql, print_row, NULL, &err) != SQLITE_OK) {
			printf("error: %s\n", err);
			fprintf(stderr, "%s: %s\n", argv[i], err);
			sqlite3_free(err);
			sqlite3_close(db);
			return 1;
		}
		if (sqlite3_close(db) != SQLITE_OK) {
			fprintf(stderr, "%s: close failed\n", argv[1]);
			return 1;
		}
		free(sql);
	}
	return fflush(stdout) ? 1 : 0;
}
