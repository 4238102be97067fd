/* gwc-server.c: a GWebCache for the bootstrap integration test, on
 * 127.0.0.1 only. It answers every GET with HTTP/1.0 200 and a version 2
 * body: an "I|pong" line, an "H|host:port|age" line for each host given on
 * the command line, and "I|update|OK" when the request carried update=1.
 * It writes its port to PORT-FILE once listening and the number of
 * requests served so far to COUNT-FILE after each one, so that a test can
 * tell whether a servent asked it. Runs until killed.
 * Usage: gwc-server PORT-FILE COUNT-FILE [HOST:PORT...] */
#define _GNU_SOURCE /* memmem */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tiny-server.h"

static void answer(int fd, const char *request, int n_hosts, char **hosts)
{
	char body[4096];
	size_t len = (size_t)snprintf(body, sizeof body, "I|pong|gwc-server 1|gnutella\r\n");
	for (int i = 0; i < n_hosts && len < sizeof body - 64; i++)
		len += (size_t)snprintf(body + len, sizeof body - len, "H|%s|%d\r\n", hosts[i], i);
	const char *line_end = strstr(request, "\r\n");
	size_t line = line_end ? (size_t)(line_end - request) : strlen(request);
	if (memmem(request, line, "update=1", 8) != NULL)
		len += (size_t)snprintf(body + len, sizeof body - len, "I|update|OK\r\n");
	char head[256];
	int hl = snprintf(head, sizeof head,
	                  "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
	                  "Connection: close\r\n\r\n",
	                  len);
	tiny_write_all(fd, head, (size_t)hl);
	tiny_write_all(fd, body, len);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: gwc-server PORT-FILE COUNT-FILE [HOST:PORT...]\n");
		return 2;
	}
	unsigned long served = 0;
	tiny_write_number(argv[2], served);
	int s = tiny_listen_loopback(argv[1], "gwc-server");
	for (;;) {
		int fd = accept(s, NULL, NULL);
		if (fd < 0)
			continue;
		char request[TINY_MAX_REQUEST];
		tiny_read_request(fd, request);
		answer(fd, request, argc - 3, argv + 3);
		close(fd);
		tiny_write_number(argv[2], ++served);
	}
}
