/* http_server: a tiny HTTP/1.0 server for the socket tests. It listens on
 * 127.0.0.1 (an ephemeral port) or on an AF_UNIX path, starts CLIENT (a
 * separate program: samples/http_client.c) with the address, serves N
 * requests, waits for the client, and reports.
 *   usage: http_server tcp|unix CLIENT [N] */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static int serve_one(int c, int i)
{
	char req[2048], path[256] = "?", body[512], resp[1024];
	size_t got = 0;
	ssize_t n;
	int blen, rlen;

	while (got < sizeof(req) - 1 && (n = read(c, req + got, sizeof(req) - 1 - got)) > 0) {
		got += (size_t)n;
		req[got] = 0;
		if (strstr(req, "\r\n\r\n"))
			break;
	}
	req[got] = 0;
	if (strncmp(req, "GET ", 4) || sscanf(req + 4, "%255s", path) != 1) {
		const char *bad = "HTTP/1.0 400 Bad Request\r\nContent-Length: 0\r\n\r\n";

		write(c, bad, strlen(bad));
		return -1;
	}
	blen = snprintf(body, sizeof(body), "hello from %s (request %d)\n", path, i);
	rlen = snprintf(resp, sizeof(resp),
			"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s",
			blen, body);
	return write(c, resp, (size_t)rlen) == rlen ? 0 : -1;
}

int main(int argc, char **argv)
{
	int n = argc > 3 ? atoi(argv[3]) : 3, s, st, served = 0;
	char dir[] = "/tmp/vmemu-http.XXXXXX", addr[300], port[16] = "";
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	struct sockaddr_in in = { .sin_family = AF_INET };
	socklen_t l = sizeof(in);
	bool unix_mode;
	pid_t pid;

	if (argc < 3 || (strcmp(argv[1], "tcp") && strcmp(argv[1], "unix"))) {
		fprintf(stderr, "usage: http_server tcp|unix CLIENT [N]\n");
		return 2;
	}
	unix_mode = !strcmp(argv[1], "unix");
	setvbuf(stdout, NULL, _IONBF, 0);
	if (unix_mode) {
		if (!mkdtemp(dir))
			return 1;
		snprintf(un.sun_path, sizeof(un.sun_path), "%s/http.sock", dir);
		s = socket(AF_UNIX, SOCK_STREAM, 0);
		if (s < 0 || bind(s, (struct sockaddr *)&un, sizeof(un)) || listen(s, 8)) {
			perror("server: unix socket");
			return 1;
		}
		snprintf(addr, sizeof(addr), "%s", un.sun_path);
	} else {
		in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		s = socket(AF_INET, SOCK_STREAM, 0);
		if (s < 0 || bind(s, (struct sockaddr *)&in, sizeof(in)) || listen(s, 8) ||
		    getsockname(s, (struct sockaddr *)&in, &l)) {
			perror("server: tcp socket");
			return 1;
		}
		snprintf(addr, sizeof(addr), "127.0.0.1");
		snprintf(port, sizeof(port), "%d", ntohs(in.sin_port));
	}
	printf("server: listening (%s)\n", argv[1]);
	pid = fork();
	if (pid == 0) {
		char nb[16];

		snprintf(nb, sizeof(nb), "%d", n);
		close(s);
		if (unix_mode)
			execl(argv[2], argv[2], "unix", addr, nb, (char *)NULL);
		else
			execl(argv[2], argv[2], "tcp", addr, port, nb, (char *)NULL);
		perror("server: exec client");
		_exit(127);
	}
	for (int i = 0; i < n; i++) {
		int c = accept(s, NULL, NULL);

		if (c < 0) {
			perror("server: accept");
			break;
		}
		if (serve_one(c, i) == 0)
			served++;
		close(c);
	}
	waitpid(pid, &st, 0);
	printf("server: served %d of %d; client exit %d\n", served, n,
	       WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	close(s);
	if (unix_mode) {
		unlink(un.sun_path);
		rmdir(dir);
	}
	return served == n && WIFEXITED(st) && !WEXITSTATUS(st) ? 0 : 1;
}
