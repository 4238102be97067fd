/* bad-source.c: a download source that breaks HTTP, for the fault
 * integration test, on 127.0.0.1 only. It serves FILE to range requests,
 * one request per connection, and misbehaves in one way (MODE):
 *   short        a right head, then half the body, then it closes
 *   wrong-range  a Content-Range one byte before the range asked
 *   wrong-length a Content-Length one more than the body it sends
 * It writes its port to PORT-FILE once listening and the number of
 * requests served so far to COUNT-FILE after each one. Runs until killed.
 * Usage: bad-source MODE FILE PORT-FILE COUNT-FILE */
#define _GNU_SOURCE /* memmem */
#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_REQUEST 8192
#define REPLY_CAP   (256 * 1024) /* bytes of a reply at most */

static void write_number(const char *path, unsigned long n)
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

/* Reads a request head into buf (NUL-terminated); 0 when there is none. */
static int read_request(int fd, char *buf)
{
	size_t have = 0;
	while (have < MAX_REQUEST - 1) {
		ssize_t n = read(fd, buf + have, MAX_REQUEST - 1 - have);
		if (n <= 0)
			return 0;
		have += (size_t)n;
		buf[have] = '\0';
		if (memmem(buf, have, "\r\n\r\n", 4) != NULL)
			return 1;
	}
	return 0;
}

static void write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t k = write(fd, p, n);
		if (k <= 0)
			return;
		p += k;
		n -= (size_t)k;
	}
}

static void answer(int fd, const char *request, const char *mode, const char *data, size_t size)
{
	uint64_t start = 0, end = size - 1;
	const char *r = strstr(request, "Range: bytes=");
	if (r != NULL && sscanf(r, "Range: bytes=%" SCNu64 "-%" SCNu64, &start, &end) < 1)
		return;
	if (start >= size)
		return;
	if (end >= size)
		end = size - 1;
	if (end - start + 1 > REPLY_CAP)
		end = start + REPLY_CAP - 1;
	uint64_t len = end - start + 1, shown = start;
	uint64_t claimed = len, sent = len;
	if (strcmp(mode, "short") == 0)
		sent = len / 2;
	else if (strcmp(mode, "wrong-range") == 0 && start > 0)
		shown = start - 1;
	else if (strcmp(mode, "wrong-length") == 0)
		claimed = len + 1;
	char head[512];
	int n = snprintf(head, sizeof head,
	                 "HTTP/1.1 206 Partial Content\r\nServer: bad-source\r\n"
	                 "Content-Range: bytes %" PRIu64 "-%" PRIu64 "/%zu\r\n"
	                 "Content-Length: %" PRIu64 "\r\nConnection: close\r\n\r\n",
	                 shown, shown + len - 1, size, claimed);
	write_all(fd, head, (size_t)n);
	write_all(fd, data + start, (size_t)sent);
}

static char *read_file(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL || fseek(f, 0, SEEK_END) != 0)
		exit(1);
	long n = ftell(f);
	char *data = malloc(n > 0 ? (size_t)n : 1);
	rewind(f);
	if (n <= 0 || data == NULL || fread(data, 1, (size_t)n, f) != (size_t)n)
		exit(1);
	fclose(f);
	*size = (size_t)n;
	return data;
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: bad-source MODE FILE PORT-FILE COUNT-FILE\n");
		return 2;
	}
	size_t size = 0;
	char *data = read_file(argv[2], &size);
	int lfd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof sa;
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(lfd, 16) != 0 ||
	    getsockname(lfd, (struct sockaddr *)&sa, &sl) != 0)
		return 1;
	write_number(argv[3], ntohs(sa.sin_port));
	unsigned long served = 0;
	static char request[MAX_REQUEST];
	for (;;) {
		int fd = accept(lfd, NULL, NULL);
		if (fd < 0)
			continue;
		if (read_request(fd, request)) {
			answer(fd, request, argv[1], data, size);
			write_number(argv[4], ++served);
		}
		close(fd);
	}
}
