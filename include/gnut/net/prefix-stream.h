/* prefix-stream.h: a pollable input stream that yields some bytes already
 * read (a TLS ClientHello that arrived with the last handshake header, the
 * first byte that showed a listener's client starts with TLS) before those
 * of the stream it wraps. With it, a TLS session can start on a socket
 * whose first bytes were already taken off by a plain reader. */
#ifndef GNUT_PREFIX_STREAM_H
#define GNUT_PREFIX_STREAM_H

#include <gio/gio.h>

/* A GInputStream (also GPollableInputStream) reading prefix, then base
 * (pollable; referenced). Closing it does not close base. */
GInputStream *gnut_prefix_stream_new(GBytes *prefix, GInputStream *base);

/* An I/O stream whose input is the prefix stream over io's input and whose
 * output is io's output: the base stream a GTlsConnection gets. */
GIOStream *gnut_prefix_io_stream_new(GBytes *prefix, GIOStream *io);

#endif
