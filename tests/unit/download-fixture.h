/* download-fixture.h: what the download test programs (test-download,
 * test-download-push) share: a real HTTP server on loopback, the waits on
 * the main loop, the watch that records a download's notified states, and
 * the fixture of one manager over a temporary data directory. Shared here
 * so that each program stays a readable size; the functions are the
 * helpers the tests always had, prefixed dlfx_. */
#ifndef GNUT_TESTS_DOWNLOAD_FIXTURE_H
#define GNUT_TESTS_DOWNLOAD_FIXTURE_H

#include "gnut/base/clock.h"
#include "gnut/core/transfer/download.h"
#include "gnut/proto/digest.h"

#include <gio/gio.h>
#include <glib.h>
#include <stdint.h>

#define DLFX_DEADLINE_MS      20000
#define DLFX_SOCKET_TIMEOUT_S 20 /* blocking socket calls of the test servers */
#define DLFX_FILE_SIZE        (3 * 1024 * 1024)
#define DLFX_URN_A            "urn:sha1:VVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVV"

/* ---- the test server ---- */

/* A GThreadedSocketService on 127.0.0.1 serving a DLFX_FILE_SIZE buffer,
 * each reply capped at 512 KiB, connections kept alive. The behaviour
 * fields are set before the first request; the record fields are read
 * under lock (dlfx_server_get, dlfx_server_count). */
typedef struct {
	GSocketService *service;
	guint16 port;
	GBytes *file;
	uint8_t sha1[GNUT_SHA1_LEN];
	/* behaviour, set before the first request */
	guint busy_first;       /* answer 503 to this many first requests */
	const char *busy_extra; /* more header lines on those 503s (NULL: none) */
	gboolean urn_missing;   /* 404 to /uri-res/ */
	gboolean get_missing;   /* 404 to /get/ */
	gssize corrupt_at;      /* serve this byte flipped (-1: none) */
	gssize cut_after;       /* close after this many body bytes in all (-1: never) */
	gboolean close_each;    /* "Connection: close" on every reply */
	gboolean stall;         /* send the head, then nothing */
	const char *x_alt;      /* an X-Alt header's value on every reply (NULL: none) */
	const char *extra;      /* more header lines ("Name: value\r\n") on every reply */
	gsize partial_end;      /* not 0: a partial source holding [0, partial_end) only:
	                           X-Available-Ranges on every reply, 416 past it */
	GBytes *thex_answer;    /* dlfx_server_offer_tree: the DIME answer at /thex */
	char *thex_uri;         /* and the X-Thex-URI value on every reply */
	/* what happened, under lock */
	GMutex lock;
	guint busy_sent;
	guint64 body_sent;
	guint connections;
	GPtrArray *targets, *ranges, *agents, *hosts;
	GPtrArray *x_alts, *x_nalts;    /* the requests' X-Alt and X-Nalt ("" when none) */
	GPtrArray *x_queues, *x_queued; /* their X-Queue and X-Queued */
	GPtrArray *stamps;              /* when each came (monotonic us, as text) */
	gint running;                   /* handler threads */
} dlfx_server;

/* A deterministic pseudo-random buffer of size bytes from seed. */
GBytes *dlfx_make_file(gsize size, guint32 seed);
/* Writes all of text (blocking); FALSE on error. */
gboolean dlfx_write_text(GOutputStream *out, const char *text);
/* Serves requests on conn until it is over (blocking); callers in another
 * thread count themselves in s->running. */
void dlfx_serve_conn(dlfx_server *s, GSocketConnection *conn);
/* A started server whose file is dlfx_make_file(DLFX_FILE_SIZE, seed). */
dlfx_server *dlfx_server_new(guint32 seed);
/* Serves the Tiger tree of the server's file as it was when this is called
 * (X-Thex-URI on every reply, the answer at /thex): a corruption set later
 * is then caught by it. */
void dlfx_server_offer_tree(dlfx_server *s);
/* Stops the server and waits (up to the deadline) for its handlers. */
void dlfx_server_free(dlfx_server *s);
/* A copy of list[i] (free it), or NULL past the end; list is one of the
 * server's record arrays. */
char *dlfx_server_get(dlfx_server *s, GPtrArray *list, guint i);
guint dlfx_server_count(dlfx_server *s, GPtrArray *list);

/* ---- waiting ---- */

/* Iterates the default main context until cond(data) or the deadline. */
gboolean dlfx_run_until(gboolean (*cond)(gpointer), gpointer data);
/* Lets the loop run for ms. */
void dlfx_spin_ms(guint ms);

/* The notified states of one download (id), and what the conditions below
 * compare with. */
typedef struct {
	gnut_downloads *m;
	guint64 id;
	guint64 min_done;
	guint connects;
	GArray *states; /* gnut_download_state, as notified */
} dlfx_watch;

/* The download's status now (clear it). */
gnut_download_status dlfx_status_of(dlfx_watch *w);
/* Conditions for dlfx_run_until, each on a dlfx_watch: a final state;
 * waiting for sources; at least min_done bytes done; failed, or queued
 * (or waiting) again after at least min_done connects. */
gboolean dlfx_is_final(gpointer data);
gboolean dlfx_is_waiting(gpointer data);
gboolean dlfx_has_min_done(gpointer data);
gboolean dlfx_waiting_again(gpointer data);
/* How many times state was notified. */
guint dlfx_count_state(const dlfx_watch *w, gnut_download_state state);

/* ---- fixtures ---- */

/* One manager over a fresh temporary data dir, watched by w. */
typedef struct {
	char *top;
	char *dl_dir;
	gnut_clock *clock;
	guint push_wait_s;    /* 0: the manager's default */
	guint idle_timeout_s; /* 0: 10 s */
	gboolean tls;         /* TLS on: TLS-first to sources that accept it */
	gnut_mesh *mesh;      /* the manager's download mesh */
	gnut_downloads *m;
	dlfx_watch w;
} dlfx_fixture;

/* A manager on fx's dirs and clock with fx's waits, notifying fx->w. */
gnut_downloads *dlfx_manager_new(dlfx_fixture *fx, guint64 limit);
/* A fresh fixture: a manual clock (at 1 s) or the system one, and limit as
 * the download rate limit (0: none). */
void dlfx_fixture_init(dlfx_fixture *fx, gboolean manual_clock, guint64 limit);
/* Frees the manager, lets cancelled connects report, removes the dirs. */
void dlfx_fixture_clear(dlfx_fixture *fx);
/* The server as a direct source (index 7, name "a b+c.bin"). */
gnut_download_source dlfx_source_at(const dlfx_server *s);
/* Adds the server's file under name with the server as its one source, and
 * watches it; returns its id. */
guint64 dlfx_add_one(dlfx_fixture *fx, dlfx_server *s, const char *name);
/* Waits for fx's download to end, and checks it completed with want. */
void dlfx_check_complete(dlfx_fixture *fx, GBytes *want);
/* TRUE when the file at path holds exactly want. */
gboolean dlfx_file_equals(const char *path, GBytes *want);
/* The number of entries in dir (0 when it does not exist). */
guint dlfx_count_entries(const char *dir);
/* The text of fx's downloads.xml (free it), or NULL. */
char *dlfx_state_file_text(const dlfx_fixture *fx);
/* A loopback port nobody listens on. */
guint16 dlfx_dead_port(void);
/* Advances the manual clock by seconds, then runs the loop a while. */
void dlfx_advance_s_and_spin(dlfx_fixture *fx, gint64 seconds);

#endif
