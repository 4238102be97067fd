/* prefix-stream.c: an input stream that replays buffered bytes first (see
 * prefix-stream.h). Blocking reads serve the TLS handshake thread of
 * glib-networking; non-blocking ones and sources the main loop. */
#define G_LOG_DOMAIN "gnut-net"

#include "gnut/net/prefix-stream.h"

#include <string.h>

typedef struct {
	GInputStream parent;
	GBytes *prefix;
	gsize off;
	GInputStream *base;
} GnutPrefixStream;

typedef struct {
	GInputStreamClass parent_class;
} GnutPrefixStreamClass;

static void gnut_prefix_stream_pollable_init(GPollableInputStreamInterface *iface);
GType gnut_prefix_stream_get_type(void);

G_DEFINE_TYPE_WITH_CODE(GnutPrefixStream, gnut_prefix_stream, G_TYPE_INPUT_STREAM,
                        G_IMPLEMENT_INTERFACE(G_TYPE_POLLABLE_INPUT_STREAM,
                                              gnut_prefix_stream_pollable_init))

static gsize prefix_left(const GnutPrefixStream *s)
{
	return s->prefix == NULL ? 0 : g_bytes_get_size(s->prefix) - s->off;
}

/* Copies from the prefix; 0 when it is used up. */
static gsize take_prefix(GnutPrefixStream *s, void *buf, gsize count)
{
	gsize n = MIN(count, prefix_left(s));
	if (n == 0)
		return 0;
	memcpy(buf, (const guint8 *)g_bytes_get_data(s->prefix, NULL) + s->off, n);
	s->off += n;
	if (prefix_left(s) == 0)
		g_clear_pointer(&s->prefix, g_bytes_unref);
	return n;
}

static gssize prefix_read(GInputStream *stream, void *buf, gsize count, GCancellable *cancellable,
                          GError **error)
{
	GnutPrefixStream *s = (GnutPrefixStream *)stream;
	gsize n = take_prefix(s, buf, count);
	if (n > 0)
		return (gssize)n;
	return g_input_stream_read(s->base, buf, count, cancellable, error);
}

static gssize prefix_read_nonblocking(GPollableInputStream *stream, void *buf, gsize count,
                                      GError **error)
{
	GnutPrefixStream *s = (GnutPrefixStream *)stream;
	gsize n = take_prefix(s, buf, count);
	if (n > 0)
		return (gssize)n;
	return g_pollable_input_stream_read_nonblocking(G_POLLABLE_INPUT_STREAM(s->base), buf,
	                                                count, NULL, error);
}

static gboolean prefix_is_readable(GPollableInputStream *stream)
{
	GnutPrefixStream *s = (GnutPrefixStream *)stream;
	return prefix_left(s) > 0 ||
	       g_pollable_input_stream_is_readable(G_POLLABLE_INPUT_STREAM(s->base));
}

static gboolean prefix_can_poll(GPollableInputStream *stream)
{
	return TRUE;
}

/* While the prefix lasts the source fires at once; then it follows base. */
static GSource *prefix_create_source(GPollableInputStream *stream, GCancellable *cancellable)
{
	GnutPrefixStream *s = (GnutPrefixStream *)stream;
	GSource *src = g_pollable_source_new(G_OBJECT(stream));
	if (prefix_left(s) > 0) {
		g_source_set_ready_time(src, 0);
	} else {
		GSource *inner = g_pollable_input_stream_create_source(
		    G_POLLABLE_INPUT_STREAM(s->base), cancellable);
		g_source_set_dummy_callback(inner);
		g_source_add_child_source(src, inner);
		g_source_unref(inner);
	}
	return src;
}

static void prefix_finalize(GObject *object)
{
	GnutPrefixStream *s = (GnutPrefixStream *)object;
	g_clear_pointer(&s->prefix, g_bytes_unref);
	g_clear_object(&s->base);
	G_OBJECT_CLASS(gnut_prefix_stream_parent_class)->finalize(object);
}

static void gnut_prefix_stream_class_init(GnutPrefixStreamClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = prefix_finalize;
	G_INPUT_STREAM_CLASS(klass)->read_fn = prefix_read;
}

static void gnut_prefix_stream_pollable_init(GPollableInputStreamInterface *iface)
{
	iface->can_poll = prefix_can_poll;
	iface->is_readable = prefix_is_readable;
	iface->create_source = prefix_create_source;
	iface->read_nonblocking = prefix_read_nonblocking;
}

static void gnut_prefix_stream_init(GnutPrefixStream *s)
{
}

GInputStream *gnut_prefix_stream_new(GBytes *prefix, GInputStream *base)
{
	g_return_val_if_fail(G_IS_POLLABLE_INPUT_STREAM(base), NULL);
	GnutPrefixStream *s = g_object_new(gnut_prefix_stream_get_type(), NULL);
	if (prefix != NULL && g_bytes_get_size(prefix) > 0)
		s->prefix = g_bytes_ref(prefix);
	s->base = g_object_ref(base);
	return G_INPUT_STREAM(s);
}

GIOStream *gnut_prefix_io_stream_new(GBytes *prefix, GIOStream *io)
{
	g_autoptr(GInputStream) in =
	    gnut_prefix_stream_new(prefix, g_io_stream_get_input_stream(io));
	return g_simple_io_stream_new(in, g_io_stream_get_output_stream(io));
}
