/* tiny-server.h: the plumbing the fake HTTP servers of the integration
 * tests share (bad-source, gwc-server): a listener on 127.0.0.1 only, a
 * request head read under a cap, whole writes, and numbers written to a
 * file atomically so that a test polling it never reads half of one. */
#ifndef GNUT_TESTS_TINY_SERVER_H
#define GNUT_TESTS_TINY_SERVER_H

#include <stddef.h>

#define TINY_MAX_REQUEST 8192 /* bytes of a request head at most, NUL included */

/* Listens on an ephemeral port of 127.0.0.1 and writes the port to
 * port_file; exits with status 1 (after perror) when it cannot. */
int tiny_listen_loopback(const char *port_file, const char *who);

/* Reads a request head into buf (TINY_MAX_REQUEST bytes, NUL-terminated);
 * 0 when the peer closed or the cap was reached before the blank line. */
int tiny_read_request(int fd, char *buf);

/* Writes all of p, or stops at the first error. */
void tiny_write_all(int fd, const char *p, size_t n);

/* Replaces path's content with n and a newline, through a rename. */
void tiny_write_number(const char *path, unsigned long n);

#endif
