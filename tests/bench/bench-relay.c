/* bench-relay.c: how many queries per second one gnutd relays between two
 * links, and what each costs it in CPU time.
 *
 * The same stream of N queries (distinct random GUIDs, TTL 3, hops 0, a
 * short text) is pumped three ways, each from a sending endpoint to a
 * counting endpoint over loopback TCP, by one poll loop in this process:
 *   direct     sender -> counter on one connection: the ceiling this
 *              program can measure (the baseline of the ratios);
 *   forwarder  sender -> a thread that copies bytes -> counter: two loopback
 *              hops with no Gnutella work at all (its CPU time is reported);
 *   gnutd      sender -> a real gnutd (--ultrapeer --no-bootstrap, its
 *              query budget per link lifted, started here) -> counter, both endpoints linked to it
 * as ultrapeers by a Gnutella 0.6 handshake without deflate. A baseline moves the stream in
 * hundredths of a second, so it is repeated (passes summed) for at least BENCH_BASELINE_MIN_S;
 * gnutd gets one pass with fresh GUIDs. The CPU time of this program's pumping thread is shown for
 * each run: near 100% means the figure is this program's limit. The counter parses every 23-byte
 * header, counts the queries, skips what else the daemon sends and answers its pings with pongs, so
 * that the link stays up. The sender answers pings only once its stream is written (a pong must not
 * cut a query in half; the daemon pings a link only after a silence, which a busy sender never
 * leaves). A run ends when every query arrived, when nothing arrived for BENCH_IDLE_S after the
 * last byte was sent (the daemon's output queue sheds queries under load: the loss is reported), or
 * at the deadline. The daemon's CPU seconds come from /proc/PID/stat (utime + stime) before and
 * after; it is stopped (SIGTERM, then SIGKILL) before the program ends.
 *
 * Usage: bench-relay [-n N] [--deadline S] [--gnutd PATH] [--show-log];
 * gnutd defaults to $GNUTD, else src/daemon/gnutd of the build tree this
 * program sits in. Loopback only. Not run by make check. Build it (and
 * gnutd) without sanitizers for the figures. */
#define _GNU_SOURCE /* accept4, RUSAGE_THREAD */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "gnut/proto/msg-header.h"
#include "gnut/proto/pong.h"
#include "gnut/proto/query.h"
#include "bench-soak.h"

#define BENCH_IO_CHUNK          (64 * 1024)
#define BENCH_HEAD_CAP          8192 /* bytes of a handshake header block */
#define BENCH_IO_TIMEOUT_S      10   /* handshake steps, accepts, the daemon's start */
#define BENCH_IDLE_S            2    /* silence after the last byte sent that ends a run */
#define BENCH_BASELINE_MIN_S    1.0  /* a baseline repeats the stream this long */
#define BENCH_BASELINE_MAX_REPS 1000
#define BENCH_QUERY_TEXT        "ubuntu iso image"

/* One end of a loopback connection, as the poll loop sees it. */
typedef struct {
	int fd;
	GByteArray *in;    /* bytes read, not yet parsed */
	GByteArray *reply; /* pongs not yet written */
	guint64 queries;   /* query messages received */
	guint64 pings;
	guint64 others;       /* any other message */
	gint64 last_query_us; /* monotonic time of the last query */
} bench_end;

/* N identical-length query messages back to back. */
typedef struct {
	GByteArray *bytes;
	gsize msg_len;
	guint64 n;
} bench_stream;

typedef struct {
	guint64 sent, received;
	double seconds; /* first write to the last query counted */
	gboolean deadline_hit;
	guint reps;       /* passes of the stream summed here */
	double own_cpu_s; /* this program's pumping thread meanwhile */
} bench_result;

/* The byte-copying thread of the forwarder baseline. */
typedef struct {
	int listen_fd;
	guint16 out_port;
	double cpu_s; /* its own CPU time while it copied */
} bench_forwarder;

typedef struct {
	gint64 n;
	gint64 deadline_s;
	char *gnutd;
	gboolean show_log;
} bench_opts;

static gint64 now_us(void)
{
	return g_get_monotonic_time();
}

static gboolean fail_errno(GError **error, const char *what)
{
	int e = errno;
	g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e), "%s: %s", what, g_strerror(e));
	return FALSE;
}

/* ---- the query stream ---- */

/* A random GUID marked as a modern servent's, from rand (not getrandom: a
 * million system calls would cost more than the stream is worth). */
static void stamp_guid(GRand *rand, guint8 *guid)
{
	for (int i = 0; i < GNUT_GUID_LEN; i += 4)
		gnut_poke_le32(guid + i, g_rand_int(rand));
	guid[8] = 0xff;
	guid[15] = 0x00;
}

static bench_stream build_stream(guint64 n)
{
	gnut_query q = {.flags = GNUT_QUERY_F_MARK | GNUT_QUERY_F_GGEP_H,
	                .text = BENCH_QUERY_TEXT,
	                .text_len = strlen(BENCH_QUERY_TEXT)};
	g_autoptr(GByteArray) payload = g_byte_array_new();
	if (gnut_query_encode(payload, &q) != GNUT_PROTO_OK)
		g_error("cannot encode the bench query");
	gnut_guid zero = {{0}};
	bench_stream s = {g_byte_array_new(), GNUT_MSG_HEADER_LEN + payload->len, n};
	g_byte_array_set_size(s.bytes, (guint)(s.msg_len * n));
	g_byte_array_set_size(s.bytes, 0);
	for (guint64 i = 0; i < n; i++)
		gnut_msg_append(s.bytes, &zero, GNUT_MSG_QUERY, 3, 0, payload->data, payload->len);
	return s;
}

/* Fresh GUIDs, so that no query of one run is a duplicate of another's. */
static void restamp_stream(bench_stream *s, GRand *rand)
{
	for (guint64 i = 0; i < s->n; i++)
		stamp_guid(rand, s->bytes->data + i * s->msg_len);
}

/* ---- sockets ---- */

static int listen_loopback(guint16 *port, GError **error)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof sa;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 4) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
		fail_errno(error, "listen on 127.0.0.1");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*port = ntohs(sa.sin_port);
	return fd;
}

static int connect_loopback(guint16 port, GError **error)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
	                         .sin_port = htons(port),
	                         .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		g_autofree char *what = g_strdup_printf("connect to 127.0.0.1:%u", port);
		fail_errno(error, what);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Accepts one connection, waiting at most BENCH_IO_TIMEOUT_S. */
static int accept_one(int listen_fd, GError **error)
{
	struct pollfd p = {.fd = listen_fd, .events = POLLIN};
	if (poll(&p, 1, BENCH_IO_TIMEOUT_S * 1000) != 1) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "nobody connected");
		return -1;
	}
	int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		fail_errno(error, "accept");
	return fd;
}

static void set_timeouts(int fd, int seconds)
{
	struct timeval tv = {.tv_sec = seconds};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

static gboolean set_nonblocking(int fd, GError **error)
{
	int flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return fail_errno(error, "fcntl");
	return TRUE;
}

/* A blocking write of all len bytes (MSG_NOSIGNAL: a peer gone is an error,
 * not a SIGPIPE). */
static gboolean write_all(int fd, const void *buf, size_t len)
{
	const guint8 *p = buf;
	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return FALSE;
		p += n;
		len -= (size_t)n;
	}
	return TRUE;
}

/* ---- endpoints ---- */

static void end_init(bench_end *e, int fd)
{
	memset(e, 0, sizeof *e);
	e->fd = fd;
	e->in = g_byte_array_sized_new(2 * BENCH_IO_CHUNK);
	e->reply = g_byte_array_new();
}

static void end_clear(bench_end *e)
{
	if (e->fd >= 0)
		close(e->fd);
	e->fd = -1;
	g_clear_pointer(&e->in, g_byte_array_unref);
	g_clear_pointer(&e->reply, g_byte_array_unref);
}

static void end_reset_counts(bench_end *e)
{
	e->queries = e->pings = e->others = 0;
	e->last_query_us = 0;
}

/* Reads what is there (the socket is non-blocking), at most a few chunks
 * so that the caller parses as it goes. FALSE on end of stream or error. */
static gboolean end_read(bench_end *e, GError **error)
{
	for (int round = 0; round < 4; round++) {
		guint old = e->in->len;
		g_byte_array_set_size(e->in, old + BENCH_IO_CHUNK);
		ssize_t n = recv(e->fd, e->in->data + old, BENCH_IO_CHUNK, 0);
		g_byte_array_set_size(e->in, old + (guint)MAX(n, 0));
		if (n > 0 && n < BENCH_IO_CHUNK)
			return TRUE;
		if (n > 0 || (n < 0 && errno == EINTR))
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return TRUE;
		if (n == 0) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
			            "the peer closed the connection");
			return FALSE;
		}
		return fail_errno(error, "recv");
	}
	return TRUE;
}

/* A pong for the ping h, as an idle servent with nothing shared. */
static void queue_pong(bench_end *e, const gnut_msg_header *h)
{
	gnut_pong p = {.port = 6346, .ipv4 = 0x7f000001};
	g_autoptr(GByteArray) payload = g_byte_array_new();
	gnut_pong_encode(payload, &p);
	gnut_msg_append(e->reply, &h->guid, GNUT_MSG_PONG, 1, 0, payload->data, payload->len);
}

/* Counts the whole messages in e->in and drops them from it. */
static gboolean end_parse(bench_end *e, gint64 now, GError **error)
{
	gsize pos = 0;
	while (e->in->len - pos >= GNUT_MSG_HEADER_LEN) {
		gnut_msg_header h;
		gnut_proto_err err = gnut_msg_header_decode(e->in->data + pos, e->in->len - pos,
		                                            GNUT_MSG_MAX_PAYLOAD, &h);
		if (err != GNUT_PROTO_OK) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "bad header: %s",
			            gnut_proto_strerror(err));
			return FALSE;
		}
		if (e->in->len - pos - GNUT_MSG_HEADER_LEN < h.length)
			break;
		pos += GNUT_MSG_HEADER_LEN + h.length;
		if (h.type == GNUT_MSG_QUERY) {
			e->queries++;
			e->last_query_us = now;
		} else if (h.type == GNUT_MSG_PING) {
			e->pings++;
			queue_pong(e, &h);
		} else {
			e->others++;
		}
	}
	g_byte_array_remove_range(e->in, 0, (guint)pos);
	return TRUE;
}

static gboolean end_flush_reply(bench_end *e, GError **error)
{
	if (e->reply->len == 0)
		return TRUE;
	ssize_t n = send(e->fd, e->reply->data, e->reply->len, MSG_NOSIGNAL);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return TRUE;
	if (n < 0)
		return fail_errno(error, "send");
	g_byte_array_remove_range(e->reply, 0, (guint)n);
	return TRUE;
}

/* The Gnutella 0.6 handshake as an ultrapeer, on a blocking socket: our
 * CONNECT (no Accept-Encoding, so the link stays uncompressed), their 200
 * header block, our final 200. Bytes after their block stay in e->in. */
static gboolean end_handshake(bench_end *e, GError **error)
{
	static const char connect_block[] = "GNUTELLA CONNECT/0.6\r\n"
	                                    "User-Agent: bench/1\r\n"
	                                    "X-Ultrapeer: True\r\n"
	                                    "\r\n";
	static const char final_block[] = "GNUTELLA/0.6 200 OK\r\n\r\n";
	set_timeouts(e->fd, BENCH_IO_TIMEOUT_S);
	if (!write_all(e->fd, connect_block, strlen(connect_block)))
		return fail_errno(error, "handshake: send");
	const char *end = NULL;
	while (end == NULL) {
		guint8 buf[1024];
		if (e->in->len >= BENCH_HEAD_CAP) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
			            "handshake: header block over %d bytes", BENCH_HEAD_CAP);
			return FALSE;
		}
		ssize_t n = recv(e->fd, buf, sizeof buf, 0);
		if (n <= 0)
			return fail_errno(error, "handshake: no 200 from the daemon");
		g_byte_array_append(e->in, buf, (guint)n);
		end = g_strstr_len((const char *)e->in->data, e->in->len, "\r\n\r\n");
	}
	if (e->in->len < 16 || memcmp(e->in->data, "GNUTELLA/0.6 200", 16) != 0) {
		g_autofree char *line = g_strndup((const char *)e->in->data,
		                                  strcspn((const char *)e->in->data, "\r\n"));
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "handshake refused: %s", line);
		return FALSE;
	}
	g_byte_array_remove_range(e->in, 0, (guint)(end + 4 - (const char *)e->in->data));
	if (!write_all(e->fd, final_block, strlen(final_block)))
		return fail_errno(error, "handshake: send");
	return set_nonblocking(e->fd, error);
}

/* CPU seconds (user + system) of the calling thread. */
static double thread_cpu_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_THREAD, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* ---- the pump ---- */

typedef struct {
	bench_end *src, *dst;
	const bench_stream *stream;
	gsize written;
	gint64 start_us, deadline_us, last_write_us;
} bench_pump;

static gboolean pump_write(bench_pump *p, GError **error)
{
	gsize total = p->stream->bytes->len;
	while (p->written < total) {
		gsize len = MIN(total - p->written, 4 * BENCH_IO_CHUNK);
		ssize_t n =
		    send(p->src->fd, p->stream->bytes->data + p->written, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return TRUE;
		if (n < 0)
			return fail_errno(error, "send");
		p->written += (gsize)n;
		p->last_write_us = now_us();
	}
	return TRUE;
}

static gboolean pump_done(const bench_pump *p, gint64 t)
{
	if (p->dst->queries >= p->stream->n || t >= p->deadline_us)
		return TRUE;
	gint64 last = MAX(p->last_write_us, p->dst->last_query_us);
	return p->written == p->stream->bytes->len && t - last >= BENCH_IDLE_S * G_USEC_PER_SEC;
}

/* One poll round: reads and parses both ends, answers pings, writes the
 * stream. The sender's pongs wait until its stream is all written. */
static gboolean pump_step(bench_pump *p, GError **error)
{
	gboolean stream_left = p->written < p->stream->bytes->len;
	struct pollfd fds[2] = {
	    {.fd = p->src->fd,
	     .events = POLLIN | (stream_left || p->src->reply->len > 0 ? POLLOUT : 0)},
	    {.fd = p->dst->fd, .events = POLLIN | (p->dst->reply->len > 0 ? POLLOUT : 0)},
	};
	if (poll(fds, 2, 100) < 0 && errno != EINTR)
		return fail_errno(error, "poll");
	bench_end *ends[2] = {p->src, p->dst};
	for (int i = 0; i < 2; i++) {
		if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) &&
		    (!end_read(ends[i], error) || !end_parse(ends[i], now_us(), error)))
			return FALSE;
	}
	if ((fds[0].revents & POLLOUT) && stream_left && !pump_write(p, error))
		return FALSE;
	if (p->written == p->stream->bytes->len && !end_flush_reply(p->src, error))
		return FALSE;
	return end_flush_reply(p->dst, error);
}

/* Sends the stream from src while dst counts, until done (see the top). */
static gboolean pump_run(bench_end *src, bench_end *dst, const bench_stream *stream,
                         gint64 deadline_s, bench_result *r, GError **error)
{
	end_reset_counts(src);
	end_reset_counts(dst);
	double cpu0 = thread_cpu_s();
	bench_pump p = {src, dst, stream, 0, now_us(), 0, 0};
	p.deadline_us = p.start_us + deadline_s * G_USEC_PER_SEC;
	p.last_write_us = p.start_us;
	gint64 t = p.start_us;
	while (!pump_done(&p, t)) {
		if (!pump_step(&p, error))
			return FALSE;
		t = now_us();
	}
	r->sent = p.written / stream->msg_len;
	r->received = dst->queries;
	r->deadline_hit = t >= p.deadline_us && dst->queries < stream->n;
	r->seconds = (double)MAX(dst->last_query_us - p.start_us, 1) / 1e6;
	r->reps = 1;
	r->own_cpu_s = thread_cpu_s() - cpu0;
	return TRUE;
}

/* Why repeat: a baseline moves the stream in a few hundredths of a second,
 * too short to time well; passes are summed until BENCH_BASELINE_MIN_S. */
static gboolean pump_repeat(bench_end *src, bench_end *dst, const bench_stream *stream,
                            gint64 deadline_s, bench_result *r, GError **error)
{
	memset(r, 0, sizeof *r);
	while (r->seconds < BENCH_BASELINE_MIN_S && r->reps < BENCH_BASELINE_MAX_REPS) {
		bench_result one;
		if (!pump_run(src, dst, stream, deadline_s, &one, error))
			return FALSE;
		r->sent += one.sent;
		r->received += one.received;
		r->seconds += one.seconds;
		r->own_cpu_s += one.own_cpu_s;
		r->reps++;
		if (one.received < stream->n) {
			r->deadline_hit = one.deadline_hit;
			break;
		}
	}
	return TRUE;
}

/* ---- baselines ---- */

static gboolean run_direct(const bench_stream *stream, gint64 deadline_s, bench_result *r,
                           GError **error)
{
	guint16 port;
	int lfd = listen_loopback(&port, error);
	if (lfd < 0)
		return FALSE;
	bench_end a, b;
	end_init(&a, connect_loopback(port, error));
	end_init(&b, a.fd >= 0 ? accept_one(lfd, error) : -1);
	close(lfd);
	gboolean ok = a.fd >= 0 && b.fd >= 0 && set_nonblocking(a.fd, error) &&
	              set_nonblocking(b.fd, error) &&
	              pump_repeat(&a, &b, stream, deadline_s, r, error);
	end_clear(&a);
	end_clear(&b);
	return ok;
}

/* Copies bytes from the one connection it accepts to one it opens, until
 * either side goes away. */
static gpointer forwarder_main(gpointer data)
{
	bench_forwarder *f = data;
	g_autoptr(GError) error = NULL;
	int in = accept_one(f->listen_fd, &error);
	int out = in >= 0 ? connect_loopback(f->out_port, &error) : -1;
	double start = thread_cpu_s();
	guint8 *buf = g_malloc(BENCH_IO_CHUNK);
	ssize_t n;
	while (out >= 0 && (n = recv(in, buf, BENCH_IO_CHUNK, 0)) > 0 &&
	       write_all(out, buf, (size_t)n))
		continue;
	f->cpu_s = thread_cpu_s() - start;
	g_free(buf);
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	return NULL;
}

static gboolean run_forwarder(const bench_stream *stream, gint64 deadline_s, bench_result *r,
                              double *cpu_s, GError **error)
{
	guint16 in_port;
	bench_forwarder f = {.listen_fd = listen_loopback(&in_port, error)};
	int out_lfd = f.listen_fd >= 0 ? listen_loopback(&f.out_port, error) : -1;
	if (out_lfd < 0) {
		if (f.listen_fd >= 0)
			close(f.listen_fd);
		return FALSE;
	}
	GThread *thread = g_thread_new("forwarder", forwarder_main, &f);
	bench_end a, b;
	end_init(&a, connect_loopback(in_port, error));
	end_init(&b, a.fd >= 0 ? accept_one(out_lfd, error) : -1);
	gboolean ok = a.fd >= 0 && b.fd >= 0 && set_nonblocking(a.fd, error) &&
	              set_nonblocking(b.fd, error) &&
	              pump_repeat(&a, &b, stream, deadline_s, r, error);
	if (a.fd < 0) /* the thread still waits for a connection: give it one */
		a.fd = connect_loopback(in_port, NULL);
	end_clear(&b);
	end_clear(&a);
	g_thread_join(thread);
	close(f.listen_fd);
	close(out_lfd);
	*cpu_s = f.cpu_s;
	return ok;
}

/* ---- the daemon ---- */

/* Waits until the daemon has sent both links their opening ping: each node
 * is started, so a query from one link has the other to go to. */
static gboolean wait_links_up(bench_end *e1, bench_end *e2, GError **error)
{
	bench_end *ends[2] = {e1, e2};
	gint64 deadline = now_us() + BENCH_IO_TIMEOUT_S * G_USEC_PER_SEC;
	while ((e1->pings == 0 || e2->pings == 0) && now_us() < deadline) {
		struct pollfd fds[2] = {{.fd = e1->fd, .events = POLLIN},
		                        {.fd = e2->fd, .events = POLLIN}};
		poll(fds, 2, 50);
		for (int i = 0; i < 2; i++) {
			if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) &&
			    !end_read(ends[i], error))
				return FALSE;
			if (!end_parse(ends[i], now_us(), error) ||
			    !end_flush_reply(ends[i], error))
				return FALSE;
		}
	}
	if (e1->pings == 0 || e2->pings == 0)
		g_printerr("bench-relay: warning: no opening ping from gnutd; going on\n");
	return TRUE;
}

/* The relay run proper, once the daemon is up. */
static gboolean relay_links(soak_daemon *d, const bench_stream *stream, gint64 deadline_s,
                            bench_result *r, double *cpu_s, GError **error)
{
	bench_end e1, e2;
	end_init(&e1, connect_loopback(d->port, error));
	end_init(&e2, -1);
	gboolean ok = e1.fd >= 0 && end_handshake(&e1, error);
	if (ok) {
		e2.fd = connect_loopback(d->port, error);
		ok = e2.fd >= 0 && end_handshake(&e2, error);
	}
	ok = ok && wait_links_up(&e1, &e2, error);
	double cpu0 = ok ? soak_proc_cpu_s(d->pid) : -1;
	ok = ok && pump_run(&e1, &e2, stream, deadline_s, r, error);
	double cpu1 = ok ? soak_proc_cpu_s(d->pid) : -1;
	*cpu_s = cpu0 >= 0 && cpu1 >= 0 ? cpu1 - cpu0 : -1;
	end_clear(&e1);
	end_clear(&e2);
	return ok;
}

/* Starts the daemon, relays, stops it. Relaying nothing at all is a
 * failure, not a figure: the log says why. */
static gboolean run_relay(const bench_opts *o, const bench_stream *stream, bench_result *r,
                          double *cpu_s, GError **error)
{
	/* the query budget of an ultrapeer link (50/s by default) lifted: this
	 * measures relaying, not flow control */
	char *extra[] = {"--ultrapeer-query-rate=10000000", NULL};
	soak_daemon d = {0};
	getrlimit(RLIMIT_NOFILE, &d.nofile);
	gboolean ok = soak_daemon_start(&d, o->gnutd, extra, error) &&
	              relay_links(&d, stream, o->deadline_s, r, cpu_s, error);
	if (ok && r->received == 0) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "gnutd relayed no query");
		ok = FALSE;
	}
	soak_daemon_stop(&d, !ok || o->show_log);
	return ok;
}

/* ---- report ---- */

static double rate(const bench_result *r)
{
	return (double)r->received / r->seconds;
}

static void print_result(const char *label, const bench_result *r)
{
	printf("%-10s %9" G_GUINT64_FORMAT " sent %9" G_GUINT64_FORMAT
	       " received (%5.1f%%) in %6.2f s (%u pass%s): %9.0f queries/s%s\n",
	       label, r->sent, r->received, 100.0 * (double)r->received / (double)MAX(r->sent, 1),
	       r->seconds, r->reps, r->reps == 1 ? "" : "es", rate(r),
	       r->deadline_hit ? " (deadline hit: what is in flight counts as lost)" : "");
	printf("%-10s bench CPU %.2f s (its pumping thread: %.0f%% of the time)\n", "",
	       r->own_cpu_s, 100.0 * r->own_cpu_s / r->seconds);
}

/* The three runs, each reported as soon as it is over. */
static gboolean bench_all(const bench_opts *o, bench_stream *stream, GError **error)
{
	gint64 deadline_s = o->deadline_s;
	g_autoptr(GRand) rand = g_rand_new();
	bench_result direct = {0}, fwd = {0}, relay = {0};
	double fwd_cpu = 0, relay_cpu = -1;
	restamp_stream(stream, rand);
	if (!run_direct(stream, deadline_s, &direct, error))
		return FALSE;
	print_result("direct", &direct);
	if (!run_forwarder(stream, deadline_s, &fwd, &fwd_cpu, error))
		return FALSE;
	print_result("forwarder", &fwd);
	printf("%-10s thread CPU %.2f s, %.3f s per million queries\n", "", fwd_cpu,
	       fwd_cpu / (double)MAX(fwd.sent, 1) * 1e6);
	restamp_stream(stream, rand); /* no query of the runs above is a duplicate */
	if (!run_relay(o, stream, &relay, &relay_cpu, error))
		return FALSE;
	print_result("gnutd", &relay);
	if (relay_cpu >= 0)
		printf("%-10s daemon CPU %.2f s, %.3f s per million queries in, %.3f s per "
		       "million relayed\n",
		       "", relay_cpu, relay_cpu / (double)MAX(relay.sent, 1) * 1e6,
		       relay_cpu / (double)MAX(relay.received, 1) * 1e6);
	printf("ratio gnutd/direct %.3f, gnutd/forwarder %.3f (queries/s)\n",
	       rate(&relay) / rate(&direct), rate(&relay) / rate(&fwd));
	return TRUE;
}

int main(int argc, char **argv)
{
	bench_opts o = {.n = 3000000, .deadline_s = 30};
	GOptionEntry entries[] = {
	    {"count", 'n', 0, G_OPTION_ARG_INT64, &o.n, "queries per run (3000000)", "N"},
	    {"deadline", 'd', 0, G_OPTION_ARG_INT64, &o.deadline_s, "seconds per run at most (30)",
	     "S"},
	    {"gnutd", 0, 0, G_OPTION_ARG_FILENAME, &o.gnutd, "the daemon to run", "PATH"},
	    {"show-log", 0, 0, G_OPTION_ARG_NONE, &o.show_log, "print the daemon's log at the end",
	     NULL},
	    G_OPTION_ENTRY_NULL};
	g_autoptr(GOptionContext) ctx = g_option_context_new("- queries per second through gnutd");
	g_option_context_add_main_entries(ctx, entries, NULL);
	g_autoptr(GError) error = NULL;
	if (!g_option_context_parse(ctx, &argc, &argv, &error) || o.n < 1 || o.n > 20000000 ||
	    o.deadline_s < 1 || o.deadline_s > 600) {
		g_printerr("bench-relay: %s\n",
		           error ? error->message : "need 1 <= N <= 2e7 and 1 <= S <= 600");
		return 2;
	}
	if (o.gnutd == NULL)
		o.gnutd = soak_default_program(argv[0], "GNUTD", "src/daemon/gnutd");
	setvbuf(stdout, NULL, _IOLBF, 0);
	soak_print_machine();
	bench_stream stream = build_stream((guint64)o.n);
	printf("stream: %" G_GINT64_FORMAT " queries of %zu bytes (TTL 3, text \"%s\"); "
	       "gnutd: %s\n",
	       o.n, stream.msg_len, BENCH_QUERY_TEXT, o.gnutd);
	gboolean ok = bench_all(&o, &stream, &error);
	g_byte_array_unref(stream.bytes);
	g_free(o.gnutd);
	if (!ok) {
		g_printerr("bench-relay: %s\n", error->message);
		return 1;
	}
	return 0;
}
