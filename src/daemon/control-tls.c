/* control-tls.c: the control API's TLS setting (see control-tls.h). The
 * default certificate is the servent's self-signed one, kept in the data
 * folder (gnut/net/tls.h); clients pin its fingerprint, which gnutd writes
 * to control.fingerprint. */
#include <string.h>

#include "control-tls.h"
#include "gnut/net/tls.h"

gboolean gnut_control_address_is_loopback(const char *address)
{
	g_autoptr(GSocketConnectable) na = g_network_address_parse(address, 0, NULL);
	if (na == NULL)
		return FALSE;
	g_autoptr(GInetAddress) ip =
	    g_inet_address_new_from_string(g_network_address_get_hostname(G_NETWORK_ADDRESS(na)));
	return ip != NULL && g_inet_address_get_is_loopback(ip);
}

gboolean gnut_control_wants_tls(const gnut_options *o)
{
	switch (o->control_tls) {
	case GNUT_CONTROL_TLS_ON:
		return TRUE;
	case GNUT_CONTROL_TLS_AUTO:
		return !gnut_control_address_is_loopback(o->control);
	case GNUT_CONTROL_TLS_OFF:
		break;
	}
	return FALSE;
}

GTlsCertificate *gnut_control_tls_certificate(const gnut_options *o, GError **error)
{
	if (!gnut_control_wants_tls(o)) {
		if (!gnut_control_address_is_loopback(o->control))
			g_warning("control: %s is reachable beyond this machine without TLS: the "
			          "token and every call cross the network in the clear "
			          "(--control-tls auto or on)",
			          o->control);
		return NULL;
	}
	if (!gnut_tls_available()) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
		            "control: TLS is wanted on %s but GIO has no TLS backend "
		            "(install glib-networking, or --control-tls off on loopback)",
		            o->control);
		return NULL;
	}
	if (o->control_cert == NULL)
		return gnut_tls_load_or_create(o->data_dir, error);
	GError *e = NULL;
	GTlsCertificate *cert = g_tls_certificate_new_from_file(o->control_cert, &e);
	if (cert == NULL)
		g_propagate_prefixed_error(error, e, "control-cert: %s: ", o->control_cert);
	return cert;
}
