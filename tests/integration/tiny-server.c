/* tiny-server.c: the shared plumbing of the integration tests' fake HTTP
 * servers (see tiny-server.h). */
#define _GNU_SOURCE /* memmem */
#include "tiny-server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

void tiny_write_number(const char *path, unsigned long n)
{
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	if (f == NULL)
		exit(1);
	fprintf(f, "%lu\n", n);
	fclose(f);
	rename(tmp, path); /* the test never reads half a number */
}

int tiny_listen_loopback(const char *port_file, const char *who)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof sa;
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 16) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) != 0) {
		perror(who);
		exit(1);
	}
	tiny_write_number(port_file, ntohs(sa.sin_port));
	return fd;
}

int tiny_read_request(int fd, char *buf)
{
	size_t have = 0;
	buf[0] = '\0';
	while (have < TINY_MAX_REQUEST - 1) {
		ssize_t n = read(fd, buf + have, TINY_MAX_REQUEST - 1 - have);
		if (n <= 0)
			return 0;
		have += (size_t)n;
		buf[have] = '\0';
		if (memmem(buf, have, "\r\n\r\n", 4) != NULL)
			return 1;
	}
	return 0;
}

void tiny_write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t k = write(fd, p, n);
		if (k <= 0)
			return;
		p += k;
		n -= (size_t)k;
	}
}
