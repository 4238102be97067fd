/* ref-servent.c: the emulated reference servent (see ref-servent.h). */
#include "ref-servent.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gnut/proto/base32.h"
#include "gnut/proto/digest.h"
#include "gnut/proto/ggep.h"
#include "gnut/proto/qrp.h"
#include "gnut/proto/query.h"
#include "gnut/proto/tiger-tree.h"
#include "gnut/proto/wire.h"
#include "ref-tls.h"

#define POLL_SLICE_MS 100 /* how often a blocked wait looks at its stop flag */
#define ACCEPT_WAIT_S 1   /* the uploader's wait for a connection, then again */
#define US_PER_MS     (G_USEC_PER_SEC / 1000)
#define REF_QRP_SLOTS 65536u /* its table size (16 bits) */

/* ---- time and sockets ---- */

gint64 ref_deadline_in(int seconds)
{
	return g_get_monotonic_time() + (gint64)seconds * G_USEC_PER_SEC;
}

static int ms_left(gint64 deadline)
{
	gint64 left = (deadline - g_get_monotonic_time()) / US_PER_MS;
	return left <= 0 ? 0 : (int)MIN(left, POLL_SLICE_MS);
}

int ref_listen_loopback(guint16 *port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof sa;
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 16) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*port = ntohs(sa.sin_port);
	return fd;
}

int ref_dial(guint16 port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Waits for fd to be readable; FALSE at the deadline or once *stop is set. */
int ref_udp_loopback(guint16 *port)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof sa;
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*port = ntohs(sa.sin_port);
	return fd;
}

gboolean ref_udp_send(int fd, guint16 port, const GByteArray *datagram)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return sendto(fd, datagram->data, datagram->len, 0, (struct sockaddr *)&sa, sizeof sa) ==
	       (ssize_t)datagram->len;
}

gboolean ref_udp_recv(int fd, GByteArray *out, guint16 *from_port, gint64 deadline)
{
	if (!ref_wait_readable(fd, deadline, NULL))
		return FALSE;
	guint8 buf[65536];
	struct sockaddr_in sa;
	socklen_t len = sizeof sa;
	ssize_t n = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&sa, &len);
	if (n < 0)
		return FALSE;
	g_byte_array_set_size(out, 0);
	g_byte_array_append(out, buf, (guint)n);
	*from_port = ntohs(sa.sin_port);
	return TRUE;
}

gboolean ref_wait_readable(int fd, gint64 deadline, const gint *stop)
{
	for (;;) {
		if (stop != NULL && g_atomic_int_get(stop))
			return FALSE;
		int slice = ms_left(deadline);
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int n = poll(&p, 1, slice);
		if (n > 0)
			return TRUE;
		if (slice == 0)
			return FALSE;
	}
}

int ref_accept(int listen_fd, gint64 deadline, const gint *stop)
{
	if (!ref_wait_readable(listen_fd, deadline, stop))
		return -1;
	return accept(listen_fd, NULL, NULL);
}

gboolean ref_send_all(int fd, const void *data, gsize len)
{
	const char *p = data;
	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n <= 0)
			return FALSE;
		p += n;
		len -= (gsize)n;
	}
	return TRUE;
}

/* One read into buf: FALSE on EOF, error, the deadline or *stop. */
static gboolean recv_into(int fd, GByteArray *buf, gint64 deadline, const gint *stop, gboolean *eof)
{
	*eof = FALSE;
	if (!ref_wait_readable(fd, deadline, stop))
		return FALSE;
	guint8 chunk[65536];
	ssize_t n = recv(fd, chunk, sizeof chunk, 0);
	if (n <= 0) {
		*eof = TRUE;
		return FALSE;
	}
	g_byte_array_append(buf, chunk, (guint)n);
	return TRUE;
}

char *ref_read_head(int fd, GByteArray *buf, gint64 deadline, const gint *stop)
{
	for (;;) {
		gsize len = 0;
		while (len + 4 <= buf->len && memcmp(buf->data + len, "\r\n\r\n", 4) != 0)
			len++;
		if (len + 4 <= buf->len) {
			char *text = g_strndup((const char *)buf->data, len);
			g_byte_array_remove_range(buf, 0, (guint)(len + 4));
			return text;
		}
		gboolean eof;
		if (buf->len >= REF_HEAD_CAP || !recv_into(fd, buf, deadline, stop, &eof))
			return NULL;
	}
}

gboolean ref_read_exact(int fd, GByteArray *buf, gsize len, GByteArray *out, gint64 deadline)
{
	gboolean eof;
	while (buf->len < len)
		if (!recv_into(fd, buf, deadline, NULL, &eof))
			return FALSE;
	g_byte_array_append(out, buf->data, (guint)len);
	g_byte_array_remove_range(buf, 0, (guint)len);
	return TRUE;
}

/* ---- header blocks ---- */

void ref_head_free(ref_head *h)
{
	if (h == NULL)
		return;
	g_free(h->start);
	g_ptr_array_unref(h->names);
	g_ptr_array_unref(h->values);
	g_free(h);
}

/* Splits a block into its first line and "Name: value" lines; NULL when a
 * line has no colon or a name is empty (the reference refuses those). */
ref_head *ref_head_parse(const char *text)
{
	g_auto(GStrv) lines = g_strsplit(text, "\r\n", -1);
	if (lines[0] == NULL)
		return NULL;
	ref_head *h = g_new0(ref_head, 1);
	h->start = g_strdup(lines[0]);
	h->names = g_ptr_array_new_with_free_func(g_free);
	h->values = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 1; lines[i] != NULL; i++) {
		const char *colon = strchr(lines[i], ':');
		if (colon == NULL || colon == lines[i]) {
			ref_head_free(h);
			return NULL;
		}
		g_ptr_array_add(h->names, g_strndup(lines[i], (gsize)(colon - lines[i])));
		g_ptr_array_add(h->values, g_strstrip(g_strdup(colon + 1)));
	}
	return h;
}

const char *ref_head_get(const ref_head *h, const char *name)
{
	for (guint i = 0; i < h->names->len; i++)
		if (g_ascii_strcasecmp(g_ptr_array_index(h->names, i), name) == 0)
			return g_ptr_array_index(h->values, i);
	return NULL;
}

/* TRUE when the comma list value names token, alone or as "token/version". */
gboolean ref_has_token(const char *value, const char *token)
{
	if (value == NULL)
		return FALSE;
	g_auto(GStrv) items = g_strsplit(value, ",", -1);
	gsize tlen = strlen(token);
	for (guint i = 0; items[i] != NULL; i++) {
		const char *item = g_strstrip(items[i]);
		if (g_ascii_strcasecmp(item, token) == 0 ||
		    (g_ascii_strncasecmp(item, token, tlen) == 0 && item[tlen] == '/'))
			return TRUE;
	}
	return FALSE;
}

/* The reference's verdict on a peer's handshake block: 200, or the code
 * and reason it refuses with. */
guint ref_verdict(const ref_head *h, const char **reason)
{
	const char *up = ref_head_get(h, "X-Ultrapeer");
	const char *ua = ref_head_get(h, "User-Agent");
	const char *accept = ref_head_get(h, "Accept");
	if (up == NULL) {
		*reason = "Normal nodes refused";
		return 403;
	}
	if (g_ascii_strcasecmp(up, "False") == 0 &&
	    !ref_has_token(ref_head_get(h, "Accept-Encoding"), "deflate")) {
		*reason = "Gnet connection not compressed";
		return 403;
	}
	if (ua != NULL && g_str_has_prefix(ua, "gtk-gnutella/")) {
		*reason = "Invalid X-Token"; /* ours cannot be signed like the real one */
		return 403;
	}
	if (accept != NULL && !ref_has_token(accept, "application/x-gnutella-packets")) {
		*reason = "Not acceptable";
		return 406;
	}
	*reason = "OK";
	return 200;
}

/* ---- messages it builds ---- */

void ref_put_le16(GByteArray *b, guint16 v)
{
	guint8 x[2];
	gnut_poke_le16(x, v);
	g_byte_array_append(b, x, 2);
}

static void put_le32(GByteArray *b, guint32 v)
{
	guint8 x[4];
	gnut_poke_le32(x, v);
	g_byte_array_append(b, x, 4);
}

void ref_frame(GByteArray *batch, const guint8 guid[16], guint8 type, guint8 ttl, guint8 hops,
               const guint8 *payload, gsize len)
{
	g_byte_array_append(batch, guid, 16);
	guint8 head[3] = {type, ttl, hops};
	g_byte_array_append(batch, head, 3);
	put_le32(batch, (guint32)len);
	if (len > 0)
		g_byte_array_append(batch, payload, (guint)len);
}

/* A fresh message GUID, marked the way modern servents mark theirs. */
void ref_new_guid(guint8 guid[16])
{
	for (int i = 0; i < 16; i++)
		guid[i] = (guint8)g_random_int_range(0, 256);
	guid[8] = 0xff;
	guid[15] = 0x01;
}

/* COBS (Cheshire & Baker) of in[0..n): no 0x00 byte left. */
static void cobs_append(GByteArray *out, const guint8 *in, gsize n)
{
	guint code_at = out->len;
	guint8 code = 1;
	g_byte_array_append(out, &code, 1);
	for (gsize i = 0; i < n; i++) {
		if (in[i] != 0) {
			g_byte_array_append(out, &in[i], 1);
			code++;
		}
		if (in[i] == 0 || code == 0xff) {
			out->data[code_at] = code;
			code_at = out->len;
			code = 1;
			g_byte_array_append(out, &code, 1);
		}
	}
	out->data[code_at] = code;
}

/* One GGEP extension; COBS-encoded when its data holds a 0x00 byte, as
 * the reference does wherever a NUL would end the area. */
static void ggep_append(GByteArray *out, const char *id, const guint8 *data, gsize len,
                        gboolean last)
{
	gboolean cobs = len > 0 && memchr(data, 0, len) != NULL;
	g_autoptr(GByteArray) wire = g_byte_array_new();
	if (cobs)
		cobs_append(wire, data, len);
	else if (len > 0)
		g_byte_array_append(wire, data, (guint)len);
	guint8 flags = (guint8)((last ? 0x80 : 0) | (cobs ? 0x40 : 0) | strlen(id));
	g_byte_array_append(out, &flags, 1);
	g_byte_array_append(out, (const guint8 *)id, (guint)strlen(id));
	guint8 lb[3];
	int n = 0;
	if (wire->len >= 1u << 12)
		lb[n++] = (guint8)(0x80 | ((wire->len >> 12) & 0x3f));
	if (wire->len >= 1u << 6)
		lb[n++] = (guint8)(0x80 | ((wire->len >> 6) & 0x3f));
	lb[n++] = (guint8)(0x40 | (wire->len & 0x3f));
	g_byte_array_append(out, lb, (guint)n);
	g_byte_array_append(out, wire->data, wire->len);
}

static void ggep_magic(GByteArray *out)
{
	guint8 m = GNUT_MSG_GGEP_MAGIC;
	g_byte_array_append(out, &m, 1);
}

/* A little-endian value with its high zero bytes dropped (GGEP's integers). */
static gsize le_trimmed(guint64 v, guint8 out[8])
{
	gsize n = 0;
	do {
		out[n++] = (guint8)(v & 0xff);
		v >>= 8;
	} while (v != 0);
	return n;
}

/* Its pong: port, IP, files, KiB, then GGEP DU (uptime), UP (slots), VC. */
static void pong_append(GByteArray *batch, const ref_peer *p, const gnut_msg_header *ping)
{
	g_autoptr(GByteArray) pl = g_byte_array_new();
	ref_put_le16(pl, p->port);
	guint8 ip[4] = {127, 0, 0, 1};
	g_byte_array_append(pl, ip, 4);
	put_le32(pl, p->file != NULL ? 1 : 0);
	put_le32(pl, p->file != NULL ? (guint32)(g_bytes_get_size(p->file) / 1024) : 0);
	ggep_magic(pl);
	guint8 du[8];
	gsize du_len = le_trimmed(5400, du);
	ggep_append(pl, "DU", du, du_len, FALSE);
	const guint8 up[3] = {0x01, 0x1e, 0x04};
	ggep_append(pl, "UP", up, sizeof up, FALSE);
	const guint8 vc[5] = {'G', 'T', 'K', 'G', 0x12};
	ggep_append(pl, "VC", vc, sizeof vc, TRUE);
	ref_frame(batch, ping->guid.bytes, GNUT_MSG_PONG, (guint8)(ping->hops + 1), 0, pl->data,
	          pl->len);
}

void ref_ping(GByteArray *batch, guint8 ttl, gboolean scp, guint8 guid[16])
{
	ref_new_guid(guid);
	g_autoptr(GByteArray) pl = g_byte_array_new();
	if (scp) {
		ggep_magic(pl);
		const guint8 want = 0x01; /* ultrapeer addresses wanted */
		ggep_append(pl, "SCP", &want, 1, TRUE);
	}
	ref_frame(batch, guid, GNUT_MSG_PING, ttl, 0, pl->data, pl->len);
}

void ref_vendor(GByteArray *batch, const char vendor[4], guint16 selector, guint16 version,
                const guint8 *data, gsize len)
{
	g_autoptr(GByteArray) pl = g_byte_array_new();
	g_byte_array_append(pl, (const guint8 *)vendor, 4);
	ref_put_le16(pl, selector);
	ref_put_le16(pl, version);
	if (len > 0)
		g_byte_array_append(pl, data, (guint)len);
	const guint8 zero[16] = {0};
	ref_frame(batch, zero, GNUT_MSG_VENDOR, 1, 0, pl->data, pl->len);
}

/* Messages Supported (0000/0) and Features Supported (0000/10), as it sends
 * them right after a handshake: GUID zero, TTL 1. */
void ref_supported(GByteArray *batch)
{
	static const struct {
		char vendor[5];
		guint16 selector, version;
	} msgs[] = {{"BEAR", 4, 1},  {"BEAR", 7, 1},  {"BEAR", 11, 1}, {"GTKG", 7, 2},
	            {"GTKG", 21, 1}, {"GTKG", 23, 2}, {"LIME", 11, 3}, {"LIME", 12, 2}};
	g_autoptr(GByteArray) ms = g_byte_array_new();
	ref_put_le16(ms, G_N_ELEMENTS(msgs));
	for (guint i = 0; i < G_N_ELEMENTS(msgs); i++) {
		g_byte_array_append(ms, (const guint8 *)msgs[i].vendor, 4);
		ref_put_le16(ms, msgs[i].selector);
		ref_put_le16(ms, msgs[i].version);
	}
	ref_vendor(batch, "\0\0\0\0", 0, 0, ms->data, ms->len);
	static const struct {
		char name[5];
		guint16 version;
	} features[] = {{"TLS!", 1}, {"WHAT", 1}, {"HSEP", 2}};
	g_autoptr(GByteArray) fs = g_byte_array_new();
	ref_put_le16(fs, G_N_ELEMENTS(features));
	for (guint i = 0; i < G_N_ELEMENTS(features); i++) {
		g_byte_array_append(fs, (const guint8 *)features[i].name, 4);
		ref_put_le16(fs, features[i].version);
	}
	ref_vendor(batch, "\0\0\0\0", 10, 0, fs->data, fs->len);
}

/* The words of a file name: runs of letters and digits, lower-cased. */
static GStrv name_words(const char *name)
{
	g_autofree char *lower = g_ascii_strdown(name, -1);
	for (char *c = lower; *c != '\0'; c++)
		if (!g_ascii_isalnum(*c))
			*c = ' ';
	GStrv words = g_strsplit_set(lower, " ", -1);
	guint n = 0;
	for (guint i = 0; words[i] != NULL; i++) {
		if (words[i][0] != '\0')
			words[n++] = words[i];
		else
			g_free(words[i]);
	}
	words[n] = NULL;
	return words;
}

/* QRP RESET + PATCH (64K slots, 4-bit entries, zlib) holding the words of
 * the peer's file name of 3 characters or more. */
void ref_qrp(GByteArray *batch, const ref_peer *p)
{
	guint8 guid[16];
	g_autoptr(GByteArray) reset = g_byte_array_new();
	guint8 variant = 0x00, infinity = 7;
	g_byte_array_append(reset, &variant, 1);
	put_le32(reset, REF_QRP_SLOTS);
	g_byte_array_append(reset, &infinity, 1);
	ref_new_guid(guid);
	ref_frame(batch, guid, GNUT_MSG_QRP, 1, 0, reset->data, reset->len);

	g_autofree guint8 *entries = g_malloc0(REF_QRP_SLOTS / 2);
	g_auto(GStrv) words = p->file != NULL ? name_words(p->file_name) : g_new0(char *, 1);
	for (guint i = 0; words[i] != NULL; i++) {
		if (strlen(words[i]) < 3)
			continue;
		guint32 slot = gnut_qrp_hash(words[i], strlen(words[i]), 16);
		guint8 present = 0x0a; /* -6: from infinity (7) to 1 hop */
		entries[slot / 2] |= (guint8)(slot % 2 == 0 ? present << 4 : present);
	}
	uLongf zlen = compressBound(REF_QRP_SLOTS / 2);
	g_autofree guint8 *z = g_malloc(zlen);
	compress2(z, &zlen, entries, REF_QRP_SLOTS / 2, Z_BEST_COMPRESSION);
	g_autoptr(GByteArray) patch = g_byte_array_new();
	const guint8 head[5] = {0x01, 1, 1, 0x01, 4}; /* PATCH 1 of 1, zlib, 4 bits */
	g_byte_array_append(patch, head, 5);
	g_byte_array_append(patch, z, (guint)zlen);
	ref_new_guid(guid);
	ref_frame(batch, guid, GNUT_MSG_QRP, 1, 0, patch->data, patch->len);
}

/* The reference's query hit for its one file: GTKG trailer with 2 bytes of
 * open data and a private GGEP area, the servent GUID last. The SHA-1 goes
 * in GGEP "H" when the query says it reads it, else as urn:sha1 text. */
static void hit_append(GByteArray *batch, const ref_peer *p, const gnut_msg_header *q,
                       gboolean ggep_h)
{
	g_autoptr(GByteArray) pl = g_byte_array_new();
	guint8 count = 1, ip[4] = {127, 0, 0, 1}, nul = 0;
	g_byte_array_append(pl, &count, 1);
	ref_put_le16(pl, p->port);
	g_byte_array_append(pl, ip, 4);
	put_le32(pl, 6000); /* speed, kbit/s */
	put_le32(pl, p->file_index);
	put_le32(pl, (guint32)g_bytes_get_size(p->file));
	g_byte_array_append(pl, (const guint8 *)p->file_name, (guint)strlen(p->file_name) + 1);
	if (!ggep_h) {
		g_byte_array_append(pl, (const guint8 *)p->urn, (guint)strlen(p->urn));
		guint8 sep = 0x1c;
		g_byte_array_append(pl, &sep, 1);
	}
	ggep_magic(pl);
	if (ggep_h) {
		guint8 h[1 + GNUT_SHA1_LEN] = {0x01};
		memcpy(h + 1, p->sha1, GNUT_SHA1_LEN);
		ggep_append(pl, "H", h, sizeof h, FALSE);
	}
	guint8 ct[8];
	gsize ct_len = le_trimmed(1700000000, ct); /* creation time; holds a 0x00 */
	ggep_append(pl, "CT", ct, ct_len, TRUE);
	g_byte_array_append(pl, &nul, 1);
	const guint8 trailer[6] = {'G', 'T', 'K', 'G', 2, 0x3c};
	guint8 flags2 = 0x29; /* push flag valid (not firewalled), has uploaded, GGEP */
	g_byte_array_append(pl, trailer, 6);
	g_byte_array_append(pl, &flags2, 1);
	ggep_magic(pl);
	const guint8 gtkgv[13] = {0, 1, 2, 3, 'u', 0x65, 0xe3, 0xb4, 0x80, 0, 0, 0, 0};
	ggep_append(pl, "GTKGV", gtkgv, sizeof gtkgv, FALSE);
	ggep_append(pl, "TLS", NULL, 0, FALSE);
	ggep_append(pl, "BH", NULL, 0, TRUE);
	gnut_guid servent;
	gnut_guid_from_hex(p->guid_hex, 32, &servent);
	g_byte_array_append(pl, servent.bytes, 16);
	ref_frame(batch, q->guid.bytes, GNUT_MSG_QUERY_HIT, (guint8)(q->hops + 1), 0, pl->data,
	          pl->len);
}

/* The reference matches each query word as a prefix of a word of the file
 * name, case-insensitively; a SHA-1-only query matches by digest. */
static gboolean query_matches(const ref_peer *p, const gnut_query *q)
{
	if (q->text_len == 0) {
		gnut_urn urns[GNUT_QUERY_MAX_URNS];
		unsigned n = gnut_query_sha1s(q, urns, G_N_ELEMENTS(urns));
		for (unsigned i = 0; i < n; i++)
			if (memcmp(urns[i].sha1, p->sha1, GNUT_SHA1_LEN) == 0)
				return TRUE;
		return FALSE;
	}
	g_autofree char *text = g_strndup(q->text, q->text_len);
	g_auto(GStrv) asked = name_words(text);
	g_auto(GStrv) have = name_words(p->file_name);
	for (guint i = 0; asked[i] != NULL; i++) {
		gboolean found = FALSE;
		for (guint j = 0; have[j] != NULL && !found; j++)
			found = g_str_has_prefix(have[j], asked[i]);
		if (!found)
			return FALSE;
	}
	return asked[0] != NULL;
}

/* ---- links ---- */

void ref_link_open(ref_link *l, ref_peer *p, int fd, gboolean z_in, gboolean z_out,
                   const GByteArray *leftover)
{
	memset(l, 0, sizeof *l);
	l->peer = p;
	l->fd = fd;
	l->z_in = z_in;
	l->z_out = z_out;
	l->raw = g_byte_array_new();
	l->plain = g_byte_array_new();
	if (z_in)
		inflateInit(&l->zin);
	if (z_out)
		deflateInit(&l->zout, Z_DEFAULT_COMPRESSION);
	if (leftover != NULL)
		g_byte_array_append(l->raw, leftover->data, leftover->len);
}

void ref_link_close(ref_link *l)
{
	if (l->raw == NULL)
		return;
	if (l->z_in)
		inflateEnd(&l->zin);
	if (l->z_out)
		deflateEnd(&l->zout);
	if (l->fd >= 0)
		close(l->fd);
	g_byte_array_unref(l->raw);
	g_byte_array_unref(l->plain);
	g_free(l->why);
	memset(l, 0, sizeof *l);
	l->fd = -1;
}

static void link_break(ref_link *l, const char *why)
{
	if (!l->broken)
		l->why = g_strdup(why);
	l->broken = TRUE;
}

/* Sends a batch of messages: deflated and sync-flushed as one batch when
 * the link is compressed, as the reference does. */
gboolean ref_link_write(ref_link *l, const GByteArray *batch)
{
	if (!l->z_out)
		return ref_send_all(l->fd, batch->data, batch->len);
	g_autoptr(GByteArray) out = g_byte_array_new();
	l->zout.next_in = batch->data;
	l->zout.avail_in = batch->len;
	do {
		guint8 chunk[16384];
		l->zout.next_out = chunk;
		l->zout.avail_out = sizeof chunk;
		deflate(&l->zout, Z_SYNC_FLUSH);
		g_byte_array_append(out, chunk, (guint)(sizeof chunk - l->zout.avail_out));
	} while (l->zout.avail_out == 0);
	return ref_send_all(l->fd, out->data, out->len);
}

/* Moves the bytes read into the message stream, inflating them when the
 * peer compresses; a stream that does not inflate breaks the link. */
static void link_decode(ref_link *l)
{
	if (!l->z_in) {
		g_byte_array_append(l->plain, l->raw->data, l->raw->len);
		g_byte_array_set_size(l->raw, 0);
		return;
	}
	l->zin.next_in = l->raw->data;
	l->zin.avail_in = l->raw->len;
	while (l->zin.avail_in > 0) {
		guint8 chunk[65536];
		l->zin.next_out = chunk;
		l->zin.avail_out = sizeof chunk;
		int rc = inflate(&l->zin, Z_SYNC_FLUSH);
		g_byte_array_append(l->plain, chunk, (guint)(sizeof chunk - l->zin.avail_out));
		if (rc != Z_OK && rc != Z_BUF_ERROR) {
			g_autofree char *why =
			    g_strdup_printf("gnutd's stream does not inflate (zlib %d: %s)", rc,
			                    l->zin.msg ? l->zin.msg : "stream ended");
			link_break(l, why);
			break;
		}
		if (rc == Z_BUF_ERROR && l->zin.avail_out > 0)
			break;
	}
	g_byte_array_set_size(l->raw, 0);
}

/* What the reference does unasked: pongs for pings, hits for matching
 * queries (when it shares a file). */
static void link_auto_answer(ref_link *l, const ref_msg *m)
{
	g_autoptr(GByteArray) batch = g_byte_array_new();
	if (m->h.type == GNUT_MSG_PING) {
		pong_append(batch, l->peer, &m->h);
	} else if (m->h.type == GNUT_MSG_QUERY && l->peer->file != NULL) {
		gnut_query q;
		if (gnut_query_decode(m->payload->data, m->payload->len, &q) == GNUT_PROTO_OK &&
		    (q.flags & GNUT_QUERY_F_MARK) && query_matches(l->peer, &q)) {
			hit_append(batch, l->peer, &m->h, (q.flags & GNUT_QUERY_F_GGEP_H) != 0);
			l->hits_sent++;
		}
	}
	if (batch->len > 0 && !ref_link_write(l, batch))
		link_break(l, "write failed");
}

/* The next message gnutd sends on the link (answered as the reference
 * would); FALSE at the deadline or when the link broke. */
gboolean ref_link_next(ref_link *l, gint64 deadline, ref_msg *m)
{
	for (;;) {
		gnut_msg_header h;
		gnut_proto_err e = GNUT_PROTO_ERR_TRUNCATED;
		if (l->plain->len >= GNUT_MSG_HEADER_LEN)
			e = gnut_msg_header_decode(l->plain->data, l->plain->len,
			                           GNUT_MSG_MAX_PAYLOAD, &h);
		if (e != GNUT_PROTO_OK && e != GNUT_PROTO_ERR_TRUNCATED) {
			link_break(l, "bad message header from gnutd");
			return FALSE;
		}
		if (e == GNUT_PROTO_OK && l->plain->len - GNUT_MSG_HEADER_LEN >= h.length) {
			m->h = h;
			m->payload = g_byte_array_new();
			g_byte_array_append(m->payload, l->plain->data + GNUT_MSG_HEADER_LEN,
			                    h.length);
			g_byte_array_remove_range(l->plain, 0, GNUT_MSG_HEADER_LEN + h.length);
			link_auto_answer(l, m);
			return TRUE;
		}
		gboolean eof = FALSE;
		if (l->broken)
			return FALSE;
		if (!recv_into(l->fd, l->raw, deadline, NULL, &eof)) {
			if (eof)
				link_break(l, "closed by gnutd");
			return FALSE;
		}
		link_decode(l);
	}
}

void ref_msg_clear(ref_msg *m)
{
	if (m->payload != NULL)
		g_byte_array_unref(m->payload);
	m->payload = NULL;
}

/* Reads until a message of that type (and GUID, when given) arrives. */
gboolean ref_link_expect(ref_link *l, guint8 type, const guint8 *guid, gint64 deadline,
                         ref_msg *out)
{
	ref_msg m = {0};
	while (ref_link_next(l, deadline, &m)) {
		if (m.h.type == type && (guid == NULL || memcmp(m.h.guid.bytes, guid, 16) == 0)) {
			*out = m;
			return TRUE;
		}
		ref_msg_clear(&m);
	}
	if (l->broken)
		fprintf(stderr, "link %s: %s\n", l->peer->name, l->why);
	return FALSE;
}

/* ---- the peer's file ---- */

void ref_sha1(const guint8 *data, gsize len, guint8 out[GNUT_SHA1_LEN])
{
	GChecksum *c = g_checksum_new(G_CHECKSUM_SHA1);
	g_checksum_update(c, data, (gssize)len);
	gsize n = GNUT_SHA1_LEN;
	g_checksum_get_digest(c, out, &n);
	g_checksum_free(c);
}

void ref_peer_share(ref_peer *p, GBytes *data, const char *name, guint32 index)
{
	gsize len = 0;
	const guint8 *bytes = g_bytes_get_data(data, &len);
	p->file = data;
	p->file_name = name;
	p->file_index = index;
	ref_sha1(bytes, len, p->sha1);
	gnut_tiger_tree_buffer(bytes, len, p->tiger);
	gnut_urn_format_sha1(p->sha1, p->urn);
}

/* ---- the uploader ---- */

static void server_note(ref_server *s, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* Keeps the first thing the reference would have refused, for the test. */
static void server_note(ref_server *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	g_autofree char *msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	fprintf(stderr, "A's uploader: %s\n", msg);
	g_mutex_lock(&s->lock);
	if (s->problem == NULL)
		s->problem = g_steal_pointer(&msg);
	g_mutex_unlock(&s->lock);
}

static char *http_date(gint64 unix_time)
{
	g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc(unix_time);
	return g_date_time_format(t, "%a, %d %b %Y %H:%M:%S GMT");
}

/* TRUE when target names A's file, as /uri-res/N2R?urn:sha1: or /get/. */
static gboolean names_file(const ref_peer *p, const char *target)
{
	const char *n2r = "/uri-res/N2R?";
	if (g_ascii_strncasecmp(target, n2r, strlen(n2r)) == 0)
		return g_ascii_strcasecmp(target + strlen(n2r), p->urn) == 0;
	g_autofree char *get = g_strdup_printf("/get/%u/", p->file_index);
	if (!g_str_has_prefix(target, get))
		return FALSE;
	g_autofree char *name = g_uri_unescape_string(target + strlen(get), NULL);
	return name != NULL && strcmp(name, p->file_name) == 0;
}

/* The range to serve: what Range asks (all when absent), then at most 512
 * KiB of it, as the reference's uploader serves. FALSE: unsatisfiable. */
static gboolean serve_range(const char *range, guint64 size, guint64 *start, guint64 *end)
{
	*start = 0;
	*end = size - 1;
	if (range != NULL) {
		guint64 a = 0, b = 0;
		char tail = 0;
		int n = sscanf(range, "bytes=%" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT "%c", &a, &b,
		               &tail);
		if (n == 1 && g_str_has_suffix(range, "-"))
			b = size - 1;
		else if (n != 2)
			return FALSE;
		if (a >= size || b < a)
			return FALSE;
		*start = a;
		*end = MIN(b, size - 1);
	}
	*end = MIN(*end, *start + REF_REPLY_CAP - 1);
	return TRUE;
}

/* The reference uploader's reply head: the full set on a connection's first
 * reply, the short one on follow-ups (as captured). */
static GString *upload_head(const ref_peer *p, guint64 start, guint64 end, gboolean first)
{
	guint64 size = g_bytes_get_size(p->file);
	g_autofree char *now = http_date(g_get_real_time() / G_USEC_PER_SEC);
	g_autofree char *mtime = http_date(1700000000);
	GString *r = g_string_new(NULL);
	gboolean partial = start != 0 || end != size - 1;
	g_string_append_printf(r, "HTTP/1.1 %s\r\nServer: " REF_UA "\r\nDate: %s\r\n",
	                       partial ? "206 Partial Content" : "200 OK", now);
	g_string_append(r, "X-Token: " REF_TOKEN "\r\n");
	if (first)
		g_string_append(r, "X-Features: " REF_FEATURES "\r\n");
	if (partial)
		g_string_append_printf(r,
		                       "Content-Range: bytes %" G_GUINT64_FORMAT
		                       "-%" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT "\r\n",
		                       start, end, size);
	g_string_append_printf(r, "Content-Length: %" G_GUINT64_FORMAT "\r\n", end - start + 1);
	g_string_append_printf(r, "Last-Modified: %s\r\nContent-Type: application/ogg\r\n", mtime);
	if (first) {
		char tiger[40];
		gnut_base32_encode(p->tiger, GNUT_TIGER_LEN, false, tiger);
		g_string_append_printf(r,
		                       "Content-Disposition: inline; filename*=\"utf-8'en'%s\"\r\n"
		                       "X-Gnutella-Content-URN: %s\r\n"
		                       "X-Thex-URI: /uri-res/N2X?%s;%s\r\n",
		                       p->file_name, p->urn, p->urn, tiger);
	}
	g_string_append(r, "\r\n");
	return r;
}

static gboolean send_status(int fd, const char *status)
{
	g_autofree char *r = g_strdup_printf(
	    "HTTP/1.1 %s\r\nServer: " REF_UA "\r\nContent-Length: 0\r\n\r\n", status);
	return ref_send_all(fd, r, strlen(r));
}

/* Answers one request of gnutd's; FALSE when the connection must close. */
static gboolean serve_request(ref_server *s, int fd, const ref_head *req, gboolean first)
{
	g_auto(GStrv) parts = g_strsplit(req->start, " ", 3);
	if (g_strv_length(parts) != 3 || !g_str_has_prefix(parts[2], "HTTP/1.") ||
	    (strcmp(parts[0], "GET") != 0 && strcmp(parts[0], "HEAD") != 0)) {
		server_note(s, "bad request line \"%s\"", req->start);
		send_status(fd, "400 Bad Request");
		return FALSE;
	}
	const char *ua = ref_head_get(req, "User-Agent");
	if (ua != NULL && g_str_has_prefix(ua, "gtk-gnutella/"))
		server_note(s, "User-Agent %s without a valid X-Token", ua);
	const char *range = ref_head_get(req, "Range");
	g_mutex_lock(&s->lock);
	s->requests++;
	s->ranged += range != NULL;
	g_mutex_unlock(&s->lock);
	fprintf(stderr, "A's uploader got: %s | Range: %s | User-Agent: %s\n", req->start,
	        range ? range : "-", ua ? ua : "-");
	if (!names_file(s->peer, parts[1]))
		return send_status(fd, "404 Not Found");
	guint64 start = 0, end = 0, size = g_bytes_get_size(s->peer->file);
	if (!serve_range(range, size, &start, &end))
		return send_status(fd, "416 Requested Range Not Satisfiable");
	g_autoptr(GString) head = upload_head(s->peer, start, end, first);
	if (!ref_send_all(fd, head->str, head->len))
		return FALSE;
	const guint8 *data = g_bytes_get_data(s->peer->file, NULL);
	return strcmp(parts[0], "HEAD") == 0 || ref_send_all(fd, data + start, end - start + 1);
}

/* A second Gnutella link from gnutd: the reference, already linked to that
 * address, answers 409 (429 past its per-minute allowance). */
static void refuse_second_link(ref_server *s, int fd)
{
	g_mutex_lock(&s->lock);
	guint n = ++s->gnutella_conns;
	g_mutex_unlock(&s->lock);
	server_note(s, "gnutd opened Gnutella link #%u while linked", n + 1);
	const char *answer = n + 1 > REF_MAX_LINKS ? "GNUTELLA/0.6 429 Banned for 5m\r\n\r\n"
	                                           : "GNUTELLA/0.6 409 Already connected\r\n\r\n";
	ref_send_all(fd, answer, strlen(answer));
}

/* One connection to A's port: requests answered in turn while gnutd keeps
 * it (HTTP/1.1 keep-alive), until it closes, stays idle, or the test ends. */
typedef struct {
	ref_server *server;
	int fd;
} serve_job;

static gpointer serve_conn(gpointer data)
{
	serve_job *job = data;
	ref_server *s = job->server;
	int fd = job->fd;
	g_free(job);
	if (ref_tls_first_byte(fd)) {
		g_autofree char *why = NULL;
		if ((fd = ref_tls_wrap(fd, TRUE, NULL, &why)) < 0) {
			server_note(s, "%s", why);
			return NULL;
		}
		g_mutex_lock(&s->lock);
		s->tls_conns++;
		g_mutex_unlock(&s->lock);
	}
	g_autoptr(GByteArray) buf = g_byte_array_new();
	for (gboolean first = TRUE;; first = FALSE) {
		g_autofree char *text =
		    ref_read_head(fd, buf, ref_deadline_in(REF_WAIT_S), &s->stop);
		if (text == NULL)
			break;
		if (first && g_str_has_prefix(text, "GNUTELLA CONNECT/")) {
			refuse_second_link(s, fd);
			break;
		}
		g_autoptr(ref_head) req = ref_head_parse(text);
		if (req == NULL) {
			server_note(s, "malformed request head");
			send_status(fd, "400 Bad Request");
			break;
		}
		if (!serve_request(s, fd, req, first))
			break;
	}
	close(fd);
	return NULL;
}

static gpointer serve_loop(gpointer data)
{
	ref_server *s = data;
	while (!g_atomic_int_get(&s->stop)) {
		int fd = ref_accept(s->peer->listen_fd, ref_deadline_in(ACCEPT_WAIT_S), &s->stop);
		if (fd < 0)
			continue;
		g_mutex_lock(&s->lock);
		guint n = ++s->http_conns;
		g_mutex_unlock(&s->lock);
		if (n > REF_MAX_HTTP) {
			server_note(s, "connection #%u within a minute: banned", n);
			send_status(fd, "429 Banned for 5m");
			close(fd);
			continue;
		}
		serve_job *job = g_new(serve_job, 1);
		job->server = s;
		job->fd = fd;
		g_mutex_lock(&s->lock);
		g_ptr_array_add(s->conn_threads, g_thread_new("ref-conn", serve_conn, job));
		g_mutex_unlock(&s->lock);
	}
	return NULL;
}

void ref_server_start(ref_server *s, ref_peer *p)
{
	s->peer = p;
	g_mutex_init(&s->lock);
	s->conn_threads = g_ptr_array_new();
	s->thread = g_thread_new("ref-server", serve_loop, s);
}

void ref_server_stop(ref_server *s)
{
	if (s->thread == NULL)
		return;
	g_atomic_int_set(&s->stop, 1);
	g_thread_join(s->thread);
	for (guint i = 0; i < s->conn_threads->len; i++)
		g_thread_join(g_ptr_array_index(s->conn_threads, i));
	g_ptr_array_unref(s->conn_threads);
	g_free(s->problem);
	g_mutex_clear(&s->lock);
	s->thread = NULL;
}

/* ---- UDP ---- */

/* Its answer to a UDP ping with SCP: the pong of its links plus TLS and the
 * packed hosts of its pong cache. */
static void uhc_pong_append(GByteArray *out, const ref_udp *u, const gnut_msg_header *ping)
{
	g_autoptr(GByteArray) pl = g_byte_array_new();
	ref_put_le16(pl, u->peer->port);
	guint8 ip[4] = {127, 0, 0, 1};
	g_byte_array_append(pl, ip, 4);
	put_le32(pl, 0);
	put_le32(pl, 0);
	ggep_magic(pl);
	guint8 du[8];
	ggep_append(pl, "DU", du, le_trimmed(5400, du), FALSE);
	const guint8 up[3] = {0x01, 0x1e, 0x04};
	ggep_append(pl, "UP", up, sizeof up, FALSE);
	const guint8 vc[5] = {'G', 'T', 'K', 'G', 0x12};
	gboolean ipp = u->ipp != NULL && u->ipp[0] != NULL;
	ggep_append(pl, "VC", vc, sizeof vc, FALSE);
	ggep_append(pl, "TLS", NULL, 0, !ipp);
	if (ipp) {
		g_autoptr(GByteArray) hosts = g_byte_array_new();
		for (const char *const *h = u->ipp; *h != NULL; h++) {
			const char *colon = strrchr(*h, ':');
			guint16 port = (guint16)g_ascii_strtoull(colon + 1, NULL, 10);
			g_byte_array_append(hosts, ip, 4);
			ref_put_le16(hosts, port);
		}
		ggep_append(pl, "IPP", hosts->data, hosts->len, TRUE);
	}
	ref_frame(out, ping->guid.bytes, GNUT_MSG_PONG, 1, 0, pl->data, pl->len);
}

static gboolean has_scp(const guint8 *payload, gsize len)
{
	gnut_ggep g;
	gsize used;
	if (len == 0 || payload[0] != GNUT_MSG_GGEP_MAGIC ||
	    gnut_ggep_decode(payload, len, &g, &used) != GNUT_PROTO_OK)
		return FALSE;
	gboolean scp = gnut_ggep_find(&g, "SCP") != NULL;
	gnut_ggep_clear(&g);
	return scp;
}

static gpointer udp_loop(gpointer data)
{
	ref_udp *u = data;
	while (!g_atomic_int_get(&u->stop)) {
		if (!ref_wait_readable(u->fd, ref_deadline_in(1), &u->stop))
			continue;
		guint8 buf[2048];
		struct sockaddr_in from;
		socklen_t flen = sizeof from;
		ssize_t n = recvfrom(u->fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &flen);
		gnut_msg_header h;
		if (n < GNUT_MSG_HEADER_LEN ||
		    gnut_msg_header_decode(buf, (gsize)n, sizeof buf, &h) != GNUT_PROTO_OK ||
		    h.type != GNUT_MSG_PING || h.length != (gsize)n - GNUT_MSG_HEADER_LEN)
			continue;
		g_atomic_int_inc(&u->pings);
		if (!has_scp(buf + GNUT_MSG_HEADER_LEN, h.length))
			continue;
		g_autoptr(GByteArray) pong = g_byte_array_new();
		uhc_pong_append(pong, u, &h);
		if (sendto(u->fd, pong->data, pong->len, 0, (struct sockaddr *)&from, flen) ==
		    (ssize_t)pong->len)
			g_atomic_int_inc(&u->answered);
	}
	return NULL;
}

gboolean ref_udp_start(ref_udp *u, ref_peer *p, const char *const *ipp)
{
	u->peer = p;
	u->ipp = ipp;
	u->fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(p->port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (u->fd < 0 || bind(u->fd, (struct sockaddr *)&a, sizeof a) != 0)
		return FALSE;
	u->thread = g_thread_new("ref-udp", udp_loop, u);
	return TRUE;
}

void ref_udp_stop(ref_udp *u)
{
	if (u->thread != NULL) {
		g_atomic_int_set(&u->stop, 1);
		g_thread_join(u->thread);
		u->thread = NULL;
	}
	if (u->fd >= 0)
		close(u->fd);
	u->fd = -1;
}
