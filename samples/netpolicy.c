/* netpolicy: what guest IP sockets may reach under vmemu's --net modes;
 * one line per attempt with its errno name (no packet leaves the host:
 * the non-loopback addresses are TEST-NET-1, 192.0.2.0/24). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char *en(int r)
{
	if (r >= 0)
		return "ok";
	switch (errno) {
	case EAFNOSUPPORT: return "EAFNOSUPPORT";
	case ENETUNREACH: return "ENETUNREACH";
	case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
	case ECONNREFUSED: return "ECONNREFUSED";
	default: return strerror(errno);
	}
}

static struct sockaddr_in v4(const char *ip, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };

	inet_pton(AF_INET, ip, &a.sin_addr);
	return a;
}

int main(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0), u, s6;
	struct sockaddr_in a;
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6 };
	socklen_t l = sizeof(a);
	char ip[64];

	printf("socket(AF_INET): %s\n", en(s));
	s6 = socket(AF_INET6, SOCK_STREAM, 0);
	printf("socket(AF_INET6): %s\n", en(s6));
	printf("socket(AF_UNIX): %s\n", en(socket(AF_UNIX, SOCK_STREAM, 0)));
	if (s < 0)
		return 0;
	a = v4("192.0.2.1", 80);
	printf("connect 192.0.2.1: %s\n", en(connect(s, (struct sockaddr *)&a, sizeof(a))));
	close(s);
	s = socket(AF_INET, SOCK_STREAM, 0);
	a = v4("192.0.2.1", 0);
	printf("bind 192.0.2.1: %s\n", en(bind(s, (struct sockaddr *)&a, sizeof(a))));
	a = v4("0.0.0.0", 0);
	printf("bind 0.0.0.0: %s\n", en(bind(s, (struct sockaddr *)&a, sizeof(a))));
	getsockname(s, (struct sockaddr *)&a, &l);
	printf("  bound to %s\n", inet_ntop(AF_INET, &a.sin_addr, ip, sizeof(ip)));
	close(s);
	u = socket(AF_INET, SOCK_DGRAM, 0);
	a = v4("192.0.2.1", 9);
	printf("sendto 192.0.2.1: %s\n", en((int)sendto(u, "x", 1, 0, (struct sockaddr *)&a, sizeof(a))));
	a = v4("127.0.0.1", 9);
	printf("sendto 127.0.0.1: %s\n", en((int)sendto(u, "x", 1, 0, (struct sockaddr *)&a, sizeof(a))));
	l = sizeof(a);
	getsockname(u, (struct sockaddr *)&a, &l);
	printf("  UDP source %s\n", inet_ntop(AF_INET, &a.sin_addr, ip, sizeof(ip)));
	inet_pton(AF_INET6, "2001:db8::1", &a6.sin6_addr);
	a6.sin6_port = htons(80);
	printf("connect [2001:db8::1]: %s\n", en(connect(s6, (struct sockaddr *)&a6, sizeof(a6))));
	return 0;
}
