/* sockets: AF_UNIX and loopback IP sockets between guest processes, epoll,
 * select and poll over sockets and pipes, one line per check, the same
 * natively and under vmemu. Blocking calls wait for another process (a
 * forked peer), so under vmemu they must sleep in the guest kernel. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *en(int e)
{
	switch (e) {
	case 0: return "0";
	case EAGAIN: return "EAGAIN";
	case EBADF: return "EBADF";
	case ENOTSOCK: return "ENOTSOCK";
	case EINVAL: return "EINVAL";
	case EPERM: return "EPERM";
	case EEXIST: return "EEXIST";
	case ENOENT: return "ENOENT";
	case ECONNREFUSED: return "ECONNREFUSED";
	case EPIPE: return "EPIPE";
	case ENOTCONN: return "ENOTCONN";
	case EADDRINUSE: return "EADDRINUSE";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case EISCONN: return "EISCONN";
	default: return strerror(e);
	}
}

#define R(expr) ((expr) < 0 ? en(errno) : "0")

static void nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static void reap(pid_t c)
{
	int st;

	waitpid(c, &st, 0);
	printf("  peer exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
}

static void check_socketpair(void)
{
	int sv[2], type = 0;
	socklen_t l = sizeof(type);
	char buf[64];
	ssize_t n;

	printf("socketpair stream: %s\n", R(socketpair(AF_UNIX, SOCK_STREAM, 0, sv)));
	getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &type, &l);
	printf("  SO_TYPE stream=%d\n", type == SOCK_STREAM);
	write(sv[0], "hello", 5);
	n = read(sv[1], buf, sizeof(buf));
	printf("  read %zd '%.*s'\n", n, (int)(n > 0 ? n : 0), buf);
	shutdown(sv[0], SHUT_WR);
	printf("  after shutdown: read %zd\n", read(sv[1], buf, sizeof(buf)));
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	n = recv(sv[0], buf, sizeof(buf), 0);
	printf("  nonblocking recv on empty: %zd %s\n", n, n < 0 ? en(errno) : "");
	n = recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT);
	printf("  MSG_DONTWAIT recv at EOF: %zd\n", n);
	close(sv[1]);
	n = send(sv[0], "x", 1, MSG_NOSIGNAL);
	printf("  send to closed peer: %zd %s\n", n, n < 0 ? en(errno) : "");
	close(sv[0]);

	printf("socketpair dgram: %s\n", R(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv)));
	send(sv[0], "one", 3, 0);
	send(sv[0], "two!", 4, 0);
	n = recv(sv[1], buf, 2, MSG_PEEK);
	printf("  peek %zd\n", n);
	n = recv(sv[1], buf, 2, MSG_TRUNC);
	printf("  truncated recv %zd '%.2s'\n", n, buf);
	n = recv(sv[1], buf, sizeof(buf), 0);
	printf("  next datagram %zd '%.*s'\n", n, (int)n, buf);
	close(sv[0]);
	close(sv[1]);
	printf("socketpair AF_INET: %s\n", R(socketpair(AF_INET, SOCK_STREAM, 0, sv)));
}

static void check_errors(void)
{
	int p[2];
	struct sockaddr_in a = { .sin_family = AF_INET };

	pipe(p);
	printf("bind on a pipe: %s\n", R(bind(p[0], (struct sockaddr *)&a, sizeof(a))));
	printf("bind on a bad fd: %s\n", R(bind(99, (struct sockaddr *)&a, sizeof(a))));
	printf("socket bad type flags: %s\n", R(socket(AF_INET, SOCK_STREAM | 0x1000, 0)));
	int s = socket(AF_INET, SOCK_STREAM, 0);
	printf("bind short address: %s\n", R(bind(s, (struct sockaddr *)&a, 1)));
	printf("listen then accept nonblocking: ");
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(s, (struct sockaddr *)&a, sizeof(a));
	listen(s, 1);
	fcntl(s, F_SETFL, O_NONBLOCK);
	printf("%s\n", R(accept(s, NULL, NULL)));
	socklen_t l = sizeof(a);
	getsockname(s, (struct sockaddr *)&a, &l);
	close(s);
	s = socket(AF_INET, SOCK_STREAM, 0);
	printf("connect to a closed port: %s\n", R(connect(s, (struct sockaddr *)&a, sizeof(a))));
	close(s);
	s = socket(AF_INET, SOCK_STREAM, 0);
	printf("recv on unconnected TCP: %s\n", R(recv(s, p, 1, 0)));
	printf("getpeername unconnected: %s\n", R(getpeername(s, (struct sockaddr *)&a, &l)));
	close(s);
	close(p[0]);
	close(p[1]);
}

/* A server in this process, a client forked: path or loopback TCP. */
static void check_unix_stream(const char *dir)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX }, peer;
	socklen_t l = sizeof(peer);
	char buf[64];
	int s, c;
	pid_t pid;

	snprintf(a.sun_path, sizeof(a.sun_path), "%s/stream.sock", dir);
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	printf("unix stream bind: %s\n", R(bind(s, (struct sockaddr *)&a, sizeof(a))));
	printf("  bind again: %s\n", R(bind(socket(AF_UNIX, SOCK_STREAM, 0), (struct sockaddr *)&a, sizeof(a))));
	listen(s, 4);
	struct stat st;
	printf("  the name is a socket: %d\n", stat(a.sun_path, &st) == 0 && S_ISSOCK(st.st_mode));
	pid = fork();
	if (pid == 0) {
		int k = socket(AF_UNIX, SOCK_STREAM, 0);

		nap_ms(30);
		if (connect(k, (struct sockaddr *)&a, sizeof(a)))
			_exit(1);
		write(k, "ping", 4);
		if (read(k, buf, sizeof(buf)) != 4)
			_exit(2);
		_exit(memcmp(buf, "pong", 4) ? 3 : 0);
	}
	c = accept(s, (struct sockaddr *)&peer, &l);
	printf("  accept: %s (peer address length %d)\n", c < 0 ? en(errno) : "0", (int)l);
	l = sizeof(peer);
	getsockname(c, (struct sockaddr *)&peer, &l);
	printf("  getsockname: %s\n", strcmp(peer.sun_path, a.sun_path) ? "other" : "the bound path");
	ssize_t n = read(c, buf, sizeof(buf));
	printf("  read %zd '%.*s'\n", n, (int)(n > 0 ? n : 0), buf);
	write(c, "pong", 4);
	reap(pid);
	close(c);
	close(s);
	unlink(a.sun_path);
}

static void check_unix_dgram(const char *dir)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX }, b = { .sun_family = AF_UNIX }, from;
	socklen_t l = sizeof(from);
	char buf[64];
	int s;
	pid_t pid;

	snprintf(a.sun_path, sizeof(a.sun_path), "%s/server.dgram", dir);
	snprintf(b.sun_path, sizeof(b.sun_path), "%s/client.dgram", dir);
	s = socket(AF_UNIX, SOCK_DGRAM, 0);
	printf("unix dgram bind: %s\n", R(bind(s, (struct sockaddr *)&a, sizeof(a))));
	pid = fork();
	if (pid == 0) {
		int k = socket(AF_UNIX, SOCK_DGRAM, 0);

		bind(k, (struct sockaddr *)&b, sizeof(b));
		nap_ms(20);
		sendto(k, "datagram", 8, 0, (struct sockaddr *)&a, sizeof(a));
		_exit(0);
	}
	ssize_t n = recvfrom(s, buf, sizeof(buf), 0, (struct sockaddr *)&from, &l);
	printf("  recvfrom %zd '%.*s' from %s\n", n, (int)(n > 0 ? n : 0), buf,
	       strcmp(from.sun_path, b.sun_path) ? "elsewhere" : "the client's path");
	reap(pid);
	close(s);
	unlink(a.sun_path);
	unlink(b.sun_path);
}

static void check_tcp(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) }, peer;
	socklen_t l = sizeof(a);
	char buf[64], ip[32];
	int s, c, one = 1, v = 0;
	pid_t pid;

	s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	printf("tcp setsockopt SO_REUSEADDR: %s\n", R(setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one))));
	l = sizeof(v);
	getsockopt(s, SOL_SOCKET, SO_REUSEADDR, &v, &l);
	printf("  getsockopt SO_REUSEADDR: %d (len %d)\n", v, (int)l);
	printf("  bind 127.0.0.1:0: %s\n", R(bind(s, (struct sockaddr *)&a, sizeof(a))));
	l = sizeof(a);
	getsockname(s, (struct sockaddr *)&a, &l);
	printf("  bound to %s, port assigned: %d\n", inet_ntop(AF_INET, &a.sin_addr, ip, sizeof(ip)),
	       a.sin_port != 0);
	printf("  listen: %s\n", R(listen(s, 8)));
	pid = fork();
	if (pid == 0) {
		int k = socket(AF_INET, SOCK_STREAM, 0);
		struct msghdr mh = { 0 };
		struct iovec iov[2] = { { "sendmsg ", 8 }, { "in two parts", 12 } };

		nap_ms(30);
		if (connect(k, (struct sockaddr *)&a, sizeof(a)))
			_exit(1);
		setsockopt(k, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		mh.msg_iov = iov;
		mh.msg_iovlen = 2;
		if (sendmsg(k, &mh, 0) != 20)
			_exit(2);
		shutdown(k, SHUT_WR);
		if (read(k, buf, sizeof(buf)) != 3)
			_exit(3);
		_exit(0);
	}
	l = sizeof(peer);
	c = accept4(s, (struct sockaddr *)&peer, &l, SOCK_CLOEXEC);
	printf("  accept4: %s from %s\n", c < 0 ? en(errno) : "0",
	       inet_ntop(AF_INET, &peer.sin_addr, ip, sizeof(ip)));
	{
		struct msghdr mh = { 0 };
		struct iovec iov[2] = { { buf, 5 }, { buf + 5, sizeof(buf) - 5 } };
		size_t got = 0;
		ssize_t n;

		mh.msg_iov = iov;
		mh.msg_iovlen = 2;
		while ((n = recvmsg(c, &mh, MSG_WAITALL)) > 0) {
			got += (size_t)n;
			iov[0].iov_base = buf + got;
			iov[0].iov_len = sizeof(buf) - got;
			mh.msg_iovlen = 1;
		}
		printf("  recvmsg got %zu '%.*s'\n", got, (int)got, buf);
	}
	send(c, "bye", 3, 0);
	reap(pid);
	close(c);
	close(s);
}

static void check_udp(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) }, from;
	socklen_t l = sizeof(a);
	char buf[64], ip[32];
	int s = socket(AF_INET, SOCK_DGRAM, 0), k = socket(AF_INET, SOCK_DGRAM, 0);

	bind(s, (struct sockaddr *)&a, sizeof(a));
	getsockname(s, (struct sockaddr *)&a, &l);
	printf("udp sendto: %zd\n", sendto(k, "udp!", 4, 0, (struct sockaddr *)&a, sizeof(a)));
	l = sizeof(from);
	ssize_t n = recvfrom(s, buf, sizeof(buf), 0, (struct sockaddr *)&from, &l);
	printf("  recvfrom %zd '%.*s' from %s\n", n, (int)n, buf, inet_ntop(AF_INET, &from.sin_addr, ip, sizeof(ip)));
	printf("  connect: %s\n", R(connect(k, (struct sockaddr *)&a, sizeof(a))));
	printf("  send: %zd\n", send(k, "again", 5, 0));
	printf("  recv: %zd\n", recv(s, buf, sizeof(buf), 0));
	close(s);
	close(k);
}

static void check_scm_rights(void)
{
	int sv[2], p[2];
	char buf[32], cbuf[CMSG_SPACE(sizeof(int))];
	pid_t pid;

	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	pipe(p);
	pid = fork();
	if (pid == 0) {
		struct msghdr mh = { 0 };
		struct iovec iov = { buf, sizeof(buf) };
		int fd;

		close(sv[0]);
		close(p[0]);
		close(p[1]);
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		if (recvmsg(sv[1], &mh, 0) != 2)
			_exit(1);
		struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
		if (!cm || cm->cmsg_type != SCM_RIGHTS)
			_exit(2);
		memcpy(&fd, CMSG_DATA(cm), sizeof(fd));
		write(fd, "via passed fd", 13);
		_exit(0);
	}
	close(sv[1]);
	{
		struct msghdr mh = { 0 };
		struct iovec iov = { "fd", 2 };
		struct cmsghdr *cm;

		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &p[1], sizeof(int));
		printf("SCM_RIGHTS sendmsg: %zd\n", sendmsg(sv[0], &mh, 0));
	}
	close(p[1]);
	ssize_t n = read(p[0], buf, sizeof(buf));
	printf("  read from the pipe: %zd '%.*s'\n", n, (int)(n > 0 ? n : 0), buf);
	reap(pid);
	close(p[0]);
	close(sv[0]);
}

static void check_epoll(const char *dir)
{
	int ep = epoll_create1(EPOLL_CLOEXEC), p[2], sv[2], f;
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 0x1234 }, out[4];
	char path[512], buf[16];
	pid_t pid;

	pipe(p);
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	printf("epoll_ctl add pipe: %s\n", R(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev)));
	printf("  add again: %s\n", R(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev)));
	ev.data.u64 = 0x5678;
	printf("  add socket: %s\n", R(epoll_ctl(ep, EPOLL_CTL_ADD, sv[1], &ev)));
	printf("  del unregistered: %s\n", R(epoll_ctl(ep, EPOLL_CTL_DEL, sv[0], NULL)));
	printf("  add itself: %s\n", R(epoll_ctl(ep, EPOLL_CTL_ADD, ep, &ev)));
	printf("  ctl on a non-epoll fd: %s\n", R(epoll_ctl(p[0], EPOLL_CTL_ADD, sv[1], &ev)));
	snprintf(path, sizeof(path), "%s/regular", dir);
	f = open(path, O_CREAT | O_RDWR, 0600);
	printf("  add a regular file: %s\n", R(epoll_ctl(ep, EPOLL_CTL_ADD, f, &ev)));
	close(f);
	unlink(path);
	printf("  wait with nothing ready, timeout 10ms: %d\n", epoll_wait(ep, out, 4, 10));
	printf("  wait maxevents 0: %s\n", R(epoll_wait(ep, out, 0, 0)));
	pid = fork();
	if (pid == 0) {
		nap_ms(30);
		write(sv[0], "s", 1);
		nap_ms(30);
		write(p[1], "p", 1);
		_exit(0);
	}
	for (int round = 0; round < 2; round++) {
		int n = epoll_wait(ep, out, 4, 5000);

		printf("  epoll_wait: %d event(s), data %#llx, EPOLLIN %d\n", n,
		       n > 0 ? (unsigned long long)out[0].data.u64 : 0ULL, n > 0 && (out[0].events & EPOLLIN));
		if (n > 0)
			read(out[0].data.u64 == 0x1234 ? p[0] : sv[1], buf, sizeof(buf));
	}
	reap(pid);
	printf("  del pipe: %s\n", R(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL)));
	close(ep);
	close(p[0]);
	close(p[1]);
	close(sv[0]);
	close(sv[1]);
}

static void check_select_poll(void)
{
	int p[2], sv[2];
	fd_set rd;
	struct timeval tv = { 0, 20000 };
	char buf[8];
	pid_t pid;

	pipe(p);
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	FD_ZERO(&rd);
	FD_SET(p[0], &rd);
	int r = select(p[0] + 1, &rd, NULL, NULL, &tv);
	printf("select timeout: %d, timeval left %ld.%06ld, set cleared %d\n", r, (long)tv.tv_sec,
	       (long)tv.tv_usec, !FD_ISSET(p[0], &rd));
	pid = fork();
	if (pid == 0) {
		nap_ms(30);
		write(p[1], "x", 1);
		nap_ms(30);
		write(sv[0], "y", 1);
		_exit(0);
	}
	FD_ZERO(&rd);
	FD_SET(p[0], &rd);
	FD_SET(sv[1], &rd);
	tv = (struct timeval){ 5, 0 };
	int n = select((p[0] > sv[1] ? p[0] : sv[1]) + 1, &rd, NULL, NULL, &tv);
	printf("select waits for a child: %d, pipe %d, socket %d, time left > 0: %d\n", n,
	       FD_ISSET(p[0], &rd) != 0, FD_ISSET(sv[1], &rd) != 0, tv.tv_sec > 0 || tv.tv_usec > 0);
	read(p[0], buf, 1);
	struct pollfd pf[2] = { { p[0], POLLIN, 0 }, { sv[1], POLLIN, 0 } };
	n = poll(pf, 2, 5000);
	printf("poll waits for a child: %d, pipe %d, socket %d\n", n, pf[0].revents != 0,
	       (pf[1].revents & POLLIN) != 0);
	reap(pid);
	close(p[0]);
	close(p[1]);
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	char dir[] = "/tmp/vmemu-sockets.XXXXXX";

	setvbuf(stdout, NULL, _IONBF, 0);
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	check_socketpair();
	check_errors();
	check_unix_stream(dir);
	check_unix_dgram(dir);
	check_tcp();
	check_udp();
	check_scm_rights();
	check_epoll(dir);
	check_select_poll();
	rmdir(dir);
	return 0;
}
