/* bench syscall: COUNT (default 10^6) one-byte write(2)s to /dev/null. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long count = argc > 1 ? atol(argv[1]) : 1000000L;
	int fd = open("/dev/null", O_WRONLY);
	if (fd < 0) {
		perror("/dev/null");
		return 1;
	}
	for (long i = 0; i < count; i++)
		if (write(fd, "x", 1) != 1) {
			perror("write");
			return 1;
		}
	return 0;
}
