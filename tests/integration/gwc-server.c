/* gwc-server.c: a GWebCache for the bootstrap integration test, on
 * 127.0.0.1 only. It answers every GET with HTTP/1.0 200 and a version 2
 * body: an "I|pong" line, an "H|host:port|age" line for each host given on
 * the command line, and "I|update|OK" when the request carried update=1.
 * It writes its port to PORT-FILE once listening and the number of
 * requests served so far to COUNT-FILE after each one, so that a test can
 * tell whether a servent asked it. Runs until killed.
 * Usage: gwc-server PORT-FILE COUNT-FILE [HOST:PORT...] */
#define _GNU_SOURCE /* memmem */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_REQUEST 8192

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

/* Reads up to the end of the header block (or the cap); the NUL-ended
 * request in buf. */
static void read_request(int fd, char *buf)
{
	size_t len = 0;
	buf[0] = '\0';
	while (len < MAX_REQUEST - 1 && strstr(buf, "\r\n\r\n") == NULL) {
		ssize_t n = read(fd, buf + len, MAX_REQUEST - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
	}
}

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
	if (write(fd, head, (size_t)hl) < 0 || write(fd, body, len) < 0)
		perror("gwc-server: write");
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: gwc-server PORT-FILE COUNT-FILE [HOST:PORT...]\n");
		return 2;
	}
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof a;
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) != 0 || listen(s, 8) != 0 ||
	    getsockname(s, (struct sockaddr *)&a, &alen) != 0) {
		perror("gwc-server");
		return 1;
	}
	unsigned long served = 0;
	write_number(argv[2], served);
	write_number(argv[1], ntohs(a.sin_port));
	for (;;) {
		int fd = accept(s, NULL, NULL);
		if (fd < 0)
			continue;
		char request[MAX_REQUEST];
		read_request(fd, request);
		answer(fd, request, argc - 3, argv + 3);
		close(fd);
		write_number(argv[2], ++served);
	}
}
