/* ref-servent.h: an emulation of the deployed network's reference servent,
 * gtk-gnutella 1.2.3, for integration tests that cannot run the real one.
 * It behaves as the reference was observed to (loopback captures of its
 * handshakes and HTTP exchanges): its verdict on a peer's handshake block,
 * deflated links sync-flushed per batch, pongs for every ping, the messages
 * it sends after a handshake (Messages/Features Supported, QRP), query hits
 * shaped like its own (vendor GTKG, private GGEP, GGEP "H" COBS-encoded when
 * the SHA-1 holds a 0x00 byte, "CT"), and an HTTP uploader that serves at
 * most 512 KiB a reply and bans an address that opens too many connections,
 * in TLS when the connection starts with it (ref-tls.h). A UDP socket of its
 * own lets it query out of band and claim hits.
 * Plain sockets, zlib and a few of our codecs; loopback only; every wait
 * has a deadline. */
#ifndef GNUT_REF_SERVENT_H
#define GNUT_REF_SERVENT_H

#include <glib.h>
#include <zlib.h>

#include "gnut/proto/msg-header.h"
#include "gnut/proto/urn.h"

#define REF_WAIT_S    10            /* deadline of any single wait */
#define REF_HEAD_CAP  8192          /* a header block, handshake or HTTP */
#define REF_REPLY_CAP (512 * 1024)  /* its uploader's cap on one reply */
#define REF_DL_RANGE  (1024 * 1024) /* the range its downloader asks */
#define REF_MAX_LINKS 2             /* Gnutella links an address may open a minute */
#define REF_MAX_HTTP  5             /* HTTP connections an address may open a minute */

#define REF_UA       "gtk-gnutella/1.2.3 (2024-03-03; Topless; Linux x86_64)"
#define REF_TOKEN    "b3zVsGz0n5vYx2lQk8YcWm1eR4o=; 1736919894" /* stands for the elided one */
#define REF_FEATURES "tls/1.0, browse/1.0, fwalt/0.1, queue/1.1"

/* One emulated servent: its identity, its port (Gnutella and HTTP, one
 * port serving both) and the one file it shares, if any. */
typedef struct {
	const char *name;     /* for messages: "A", "B" */
	const char *guid_hex; /* its GUID: handshake header, query hit trailer */
	int listen_fd;
	guint16 port;
	GBytes *file; /* NULL: shares nothing */
	const char *file_name;
	guint32 file_index;
	guint8 sha1[GNUT_SHA1_LEN];
	guint8 tiger[24];
	char urn[GNUT_URN_SHA1_LEN + 1];
} ref_peer;

/* One of its Gnutella links. */
typedef struct {
	ref_peer *peer;
	int fd;
	gboolean z_in, z_out; /* the link is deflated that way */
	z_stream zin, zout;
	GByteArray *raw;   /* bytes read, not yet inflated */
	GByteArray *plain; /* the message stream */
	gboolean broken;   /* EOF, reset or a corrupt stream */
	char *why;         /* what broke it */
	guint hits_sent;
} ref_link;

typedef struct {
	gnut_msg_header h;
	GByteArray *payload;
} ref_msg;

/* Its HTTP uploader on the peer's port, run by threads; what it saw is
 * read under lock. */
typedef struct {
	ref_peer *peer;
	GThread *thread;
	gint stop;
	GMutex lock;
	GPtrArray *conn_threads;
	guint gnutella_conns; /* Gnutella handshakes tried while linked */
	guint http_conns;
	guint tls_conns; /* of them, in TLS from the first byte */
	guint requests;
	guint ranged;  /* requests that carried a Range */
	char *problem; /* the first thing the reference would have refused */
} ref_server;

/* Its UDP side, on the peer's port (UDP enabled): a ping carrying GGEP
 * "SCP" gets a pong from that port with its own address, GGEP DU, UP, VC,
 * TLS and, when its pong cache holds some, IPP (the hosts given). Run by a
 * thread; the counters are read atomically. */
typedef struct {
	ref_peer *peer;
	int fd;
	GThread *thread;
	gint stop;
	const char *const *ipp; /* "127.0.0.1:port" entries of its pong cache */
	gint pings;             /* UDP pings received */
	gint answered;          /* pongs sent */
} ref_udp;

/* A parsed header block: its first line and the header lines in order. */
typedef struct {
	char *start;
	GPtrArray *names, *values;
} ref_head;

/* ---- time and sockets ---- */
gint64 ref_deadline_in(int seconds);
int ref_listen_loopback(guint16 *port);
int ref_dial(guint16 port);
/* FALSE at the deadline or once *stop (may be NULL) is set. */
gboolean ref_wait_readable(int fd, gint64 deadline, const gint *stop);
int ref_accept(int listen_fd, gint64 deadline, const gint *stop);
gboolean ref_send_all(int fd, const void *data, gsize len);
/* A UDP socket on 127.0.0.1 (an ephemeral port, in *port), as its one UDP
 * socket on its listening port; datagrams to and from 127.0.0.1. */
int ref_udp_loopback(guint16 *port);
gboolean ref_udp_send(int fd, guint16 port, const GByteArray *datagram);
/* The next datagram (replacing out's bytes) and its sender's port. */
gboolean ref_udp_recv(int fd, GByteArray *out, guint16 *from_port, gint64 deadline);
/* Reads until buf holds a whole header block within REF_HEAD_CAP bytes;
 * returns its text (without the empty line) and leaves in buf what came
 * after it. NULL on EOF, the deadline, the cap or *stop. */
char *ref_read_head(int fd, GByteArray *buf, gint64 deadline, const gint *stop);
/* Moves exactly len bytes (what buf holds counts first) from buf to out. */
gboolean ref_read_exact(int fd, GByteArray *buf, gsize len, GByteArray *out, gint64 deadline);

/* ---- header blocks ---- */
/* NULL when a line has no colon or an empty name (the reference refuses). */
ref_head *ref_head_parse(const char *text);
void ref_head_free(ref_head *h);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ref_head, ref_head_free)
const char *ref_head_get(const ref_head *h, const char *name);
/* TRUE when the comma list value names token, alone or as "token/version". */
gboolean ref_has_token(const char *value, const char *token);
/* Its verdict on a peer's handshake block: 200, or the refusal code and
 * reason. */
guint ref_verdict(const ref_head *h, const char **reason);

/* ---- messages it builds ---- */
void ref_put_le16(GByteArray *b, guint16 v);
void ref_frame(GByteArray *batch, const guint8 guid[16], guint8 type, guint8 ttl, guint8 hops,
               const guint8 *payload, gsize len);
/* A fresh message GUID, marked as modern servents mark theirs. */
void ref_new_guid(guint8 guid[16]);
/* A ping (with GGEP "SCP" when scp, as on links it opens); guid is set. */
void ref_ping(GByteArray *batch, guint8 ttl, gboolean scp, guint8 guid[16]);
/* A vendor message as it sends them: GUID zero, TTL 1. */
void ref_vendor(GByteArray *batch, const char vendor[4], guint16 selector, guint16 version,
                const guint8 *data, gsize len);
/* Messages Supported (0000/0) and Features Supported (0000/10). */
void ref_supported(GByteArray *batch);
/* QRP RESET + PATCH holding the words of the peer's file name. */
void ref_qrp(GByteArray *batch, const ref_peer *p);

/* ---- the peer's file ---- */
void ref_sha1(const guint8 *data, gsize len, guint8 out[GNUT_SHA1_LEN]);
/* Shares data (taken) as name: computes its SHA-1, Tiger root and URN. */
void ref_peer_share(ref_peer *p, GBytes *data, const char *name, guint32 index);

/* ---- UDP ---- */
/* Binds 127.0.0.1:p->port (UDP) and answers there until ref_udp_stop. */
gboolean ref_udp_start(ref_udp *u, ref_peer *p, const char *const *ipp);
void ref_udp_stop(ref_udp *u);

/* ---- links ---- */
/* leftover: bytes already read past the handshake (may be NULL). */
void ref_link_open(ref_link *l, ref_peer *p, int fd, gboolean z_in, gboolean z_out,
                   const GByteArray *leftover);
void ref_link_close(ref_link *l);
/* Sends a batch: deflated and sync-flushed as one when the link is. */
gboolean ref_link_write(ref_link *l, const GByteArray *batch);
/* The next message on the link, after the reference's own answer to it
 * (pong, query hit); FALSE at the deadline or when the link broke. */
gboolean ref_link_next(ref_link *l, gint64 deadline, ref_msg *m);
/* Reads until a message of that type (and GUID, when given) arrives. */
gboolean ref_link_expect(ref_link *l, guint8 type, const guint8 *guid, gint64 deadline,
                         ref_msg *out);
void ref_msg_clear(ref_msg *m);

/* ---- the uploader ---- */
void ref_server_start(ref_server *s, ref_peer *p);
void ref_server_stop(ref_server *s);

#endif
