/* http_client: fetches N pages from http_server (samples/http_server.c),
 * one connection each, and prints each status line and body.
 *   usage: http_client tcp HOST PORT [N] | http_client unix PATH [N] */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int dial(int argc, char **argv)
{
	int s;

	if (!strcmp(argv[1], "unix")) {
		struct sockaddr_un un = { .sun_family = AF_UNIX };

		snprintf(un.sun_path, sizeof(un.sun_path), "%s", argv[2]);
		s = socket(AF_UNIX, SOCK_STREAM, 0);
		if (s >= 0 && connect(s, (struct sockaddr *)&un, sizeof(un)) == 0)
			return s;
	} else if (argc > 3) {
		struct sockaddr_in in = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[3])) };

		inet_pton(AF_INET, argv[2], &in.sin_addr);
		s = socket(AF_INET, SOCK_STREAM, 0);
		if (s >= 0 && connect(s, (struct sockaddr *)&in, sizeof(in)) == 0)
			return s;
	}
	perror("client: connect");
	return -1;
}

int main(int argc, char **argv)
{
	int n;

	if (argc < 3) {
		fprintf(stderr, "usage: http_client tcp HOST PORT [N] | unix PATH [N]\n");
		return 2;
	}
	n = !strcmp(argv[1], "unix") ? (argc > 3 ? atoi(argv[3]) : 1) : (argc > 4 ? atoi(argv[4]) : 1);
	setvbuf(stdout, NULL, _IONBF, 0);
	for (int i = 0; i < n; i++) {
		char req[256], resp[4096], *body, *eol;
		size_t got = 0;
		ssize_t k;
		int s = dial(argc, argv), len;

		if (s < 0)
			return 1;
		len = snprintf(req, sizeof(req), "GET /item/%d HTTP/1.0\r\nHost: vmemu\r\n\r\n", i);
		if (write(s, req, (size_t)len) != len)
			return 1;
		while (got < sizeof(resp) - 1 && (k = read(s, resp + got, sizeof(resp) - 1 - got)) > 0)
			got += (size_t)k;
		resp[got] = 0;
		close(s);
		body = strstr(resp, "\r\n\r\n");
		eol = strstr(resp, "\r\n");
		if (!body || !eol) {
			printf("client: bad response to request %d\n", i);
			return 1;
		}
		printf("client: %.*s: %s", (int)(eol - resp), resp, body + 4);
	}
	return 0;
}
