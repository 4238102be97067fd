/* bad-source.c: a download source that breaks HTTP, for the fault
 * integration test, on 127.0.0.1 only. It serves FILE to range requests,
 * one request per connection, and misbehaves in one way (MODE):
 *   short        a right head, then half the body, then it closes
 *   wrong-range  a Content-Range one byte before the range asked
 *   wrong-length a Content-Length one more than the body it sends
 * It writes its port to PORT-FILE once listening and the number of
 * requests served so far to COUNT-FILE after each one. Runs until killed.
 * Usage: bad-source MODE FILE PORT-FILE COUNT-FILE */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tiny-server.h"

#define REPLY_CAP (256 * 1024) /* bytes of a reply at most */

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
	tiny_write_all(fd, head, (size_t)n);
	tiny_write_all(fd, data + start, (size_t)sent);
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
	int lfd = tiny_listen_loopback(argv[3], "bad-source");
	unsigned long served = 0;
	static char request[TINY_MAX_REQUEST];
	for (;;) {
		int fd = accept(lfd, NULL, NULL);
		if (fd < 0)
			continue;
		if (tiny_read_request(fd, request)) {
			answer(fd, request, argv[1], data, size);
			tiny_write_number(argv[4], ++served);
		}
		close(fd);
	}
}
