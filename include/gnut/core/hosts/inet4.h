/* inet4.h: GIO socket addresses to and from the IPv4 address (host order)
 * and port the host cache and the codecs use. */
#ifndef GNUT_INET4_H
#define GNUT_INET4_H

#include <gio/gio.h>
#include <glib.h>

#include "gnut/proto/address.h"
#include "gnut/proto/wire.h"

/* FALSE when a is not IPv4 (IPv4-mapped IPv6 is not read either). */
static inline gboolean gnut_inet4_from_socket_address(GInetSocketAddress *a, guint32 *ip,
                                                      guint16 *port)
{
	GInetAddress *ia = g_inet_socket_address_get_address(a);
	if (g_inet_address_get_family(ia) != G_SOCKET_FAMILY_IPV4)
		return FALSE;
	*ip = gnut_peek_be32(g_inet_address_to_bytes(ia));
	*port = g_inet_socket_address_get_port(a);
	return TRUE;
}

/* A new socket address for ip:port (g_object_unref it). */
static inline GSocketAddress *gnut_inet4_socket_address(guint32 ip, guint16 port)
{
	char text[GNUT_ADDR_IPV4_LEN];
	gnut_addr_format_ipv4(ip, text);
	return g_inet_socket_address_new_from_string(text, port);
}

#endif
