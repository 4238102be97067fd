/* push-proxy-client.h: the downloader's side of push proxies
 * (doc/gnutella/push_proxy). To reach a firewalled servent whose hit named
 * its proxies (GGEP "PUSH"), we ask each proxy in turn, over HTTP,
 *   GET /gnutella/push-proxy?ServerId=<base32 GUID> HTTP/1.1
 *   X-Node: <our IPv4>:<our port>
 * until one answers 202 (it sent the servent a Push: its GIV comes to our
 * listener as for a routed push). A proxy the dial rule refuses is skipped;
 * one that answers anything else, closes, or stays silent past
 * GNUT_PROXY_CLIENT_TIMEOUT_S is a failure. When every proxy failed, the
 * fallback handler is called (the owner routes a Push through the network
 * instead). Connects and exchanges are bounded by the timeout and stop with
 * the client. */
#ifndef GNUT_PUSH_PROXY_CLIENT_H
#define GNUT_PUSH_PROXY_CLIENT_H

#include <glib.h>

#include "gnut/proto/guid.h"
#include "gnut/proto/push-proxy.h"

#define GNUT_PROXY_CLIENT_TIMEOUT_S 10 /* per proxy: connect, then answer */
#define GNUT_PROXY_CLIENT_MAX_JOBS  64 /* exchanges at once; more fall back at once */

typedef struct gnut_proxy_client gnut_proxy_client;

/* Every proxy failed for this push: called from the main loop. */
typedef void (*gnut_proxy_client_fallback_fn)(const gnut_guid *servent, guint32 index,
                                              gpointer data);

gnut_proxy_client *gnut_proxy_client_new(gboolean allow_local,
                                         gnut_proxy_client_fallback_fn fallback, gpointer data);
/* Ends every exchange (no fallback is called for them) and frees c. */
void gnut_proxy_client_free(gnut_proxy_client *c);

/* Asks the proxies (tried in their order) to push servent to connect to us
 * at ipv4:port (host order) for file index. */
void gnut_proxy_client_push(gnut_proxy_client *c, const gnut_push_proxies *proxies,
                            const gnut_guid *servent, guint32 index, uint32_t ipv4, guint16 port);

/* Pushes a proxy accepted (202), and proxy attempts that failed. */
guint64 gnut_proxy_client_accepted(const gnut_proxy_client *c);
guint64 gnut_proxy_client_failed(const gnut_proxy_client *c);

#endif
