/* ctl-www.h: the web UI's static files, served by the control server at "/"
 * without the token (they hold no data; every API call the page makes carries
 * it). The files live flat in one folder: share/www in the source tree,
 * installed in $(pkgdatadir)/www. Only names of the form [a-z0-9-]+.EXT with
 * a known extension are served, from that folder only, never through a
 * symbolic link, up to GNUT_WWW_MAX_FILE bytes. */
#ifndef GNUT_CTL_CTL_WWW_H
#define GNUT_CTL_CTL_WWW_H

#include <glib.h>
#include <libsoup/soup.h>

#define GNUT_WWW_DIR_ENV  "GNUTD_WWW_DIR" /* overrides where the files are */
#define GNUT_WWW_INDEX    "index.html"
#define GNUT_WWW_MAX_FILE (1024 * 1024)
#define GNUT_WWW_MAX_NAME 64
/* only 'self': no inline script or style, no other origin, no framing */
#define GNUT_WWW_CSP                                                                               \
	"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "                \
	"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "             \
	"frame-ancestors 'none'"

/* The folder of the web UI: $GNUTD_WWW_DIR when set, else the installed
 * folder when it holds index.html, else the source tree's share/www. */
char *gnut_www_dir(void);

/* The file name a request path names ("/" names index.html), newly
 * allocated, or NULL when the path is no static file's. */
char *gnut_www_file_name(const char *path);

/* The Content-Type for a file name the above accepted. */
const char *gnut_www_content_type(const char *name);

/* Reads NAME from DIR: a regular file, not a symbolic link, at most
 * GNUT_WWW_MAX_FILE bytes. */
GBytes *gnut_www_load(const char *dir, const char *name, GError **error);

/* Answers a GET or HEAD of a static file and returns TRUE; returns FALSE
 * (the message untouched) for any other request, which the API then keeps. */
gboolean gnut_www_serve(const char *dir, SoupServerMessage *msg, const char *path);

#endif
