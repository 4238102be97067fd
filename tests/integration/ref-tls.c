/* ref-tls.c: TLS for the emulated reference servent (see ref-tls.h), with
 * GnuTLS on the socket and a pump thread per session. */
#include "ref-tls.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#include "gnut/net/tls.h"
#include "../unit/unit.h"
#include "ref-servent.h"

#define PUMP_CHUNK 16384

typedef struct {
	int fd;
	GByteArray *early; /* bytes of the peer's stream read before: served first */
	gint64 deadline;   /* of the handshake; 0 once it is over */
	gnutls_session_t session;
	gnutls_certificate_credentials_t cred;
	int plain; /* the pump's end of the plain socket pair */
} tls_pipe;

/* The emulation's certificate: made once, in a folder of its own. */
static char *cert_path(void)
{
	static gsize done = 0;
	static char *path = NULL;
	if (g_once_init_enter(&done)) {
		char *dir = gnut_unit_mkdtemp();
		GTlsCertificate *cert = gnut_tls_load_or_create(dir, NULL);
		g_assert_nonnull(cert);
		g_object_unref(cert);
		path = g_build_filename(dir, GNUT_TLS_IDENTITY_FILE, NULL);
		g_free(dir);
		g_once_init_leave(&done, 1);
	}
	return path;
}

static ssize_t pull(gnutls_transport_ptr_t ptr, void *buf, size_t len)
{
	tls_pipe *t = ptr;
	if (t->early != NULL && t->early->len > 0) {
		size_t n = MIN(len, t->early->len);
		memcpy(buf, t->early->data, n);
		g_byte_array_remove_range(t->early, 0, (guint)n);
		return (ssize_t)n;
	}
	if (t->deadline != 0 && !ref_wait_readable(t->fd, t->deadline, NULL)) {
		errno = ETIMEDOUT;
		return -1;
	}
	return recv(t->fd, buf, len, 0);
}

static ssize_t push(gnutls_transport_ptr_t ptr, const void *buf, size_t len)
{
	tls_pipe *t = ptr;
	return ref_send_all(t->fd, buf, len) ? (ssize_t)len : -1;
}

static void pipe_free(tls_pipe *t)
{
	if (t->session != NULL)
		gnutls_deinit(t->session);
	if (t->cred != NULL)
		gnutls_certificate_free_credentials(t->cred);
	if (t->early != NULL)
		g_byte_array_unref(t->early);
	if (t->plain >= 0)
		close(t->plain);
	close(t->fd);
	g_free(t);
}

/* Carries bytes both ways until either side ends. */
static gpointer pump(gpointer data)
{
	tls_pipe *t = data;
	guint8 buf[PUMP_CHUNK];
	for (;;) {
		if (gnutls_record_check_pending(t->session) == 0) {
			struct pollfd pfd[2] = {{t->fd, POLLIN, 0}, {t->plain, POLLIN, 0}};
			if (poll(pfd, 2, -1) < 0 && errno != EINTR)
				break;
			if (pfd[1].revents != 0) {
				ssize_t n = recv(t->plain, buf, sizeof buf, 0);
				if (n <= 0 || gnutls_record_send(t->session, buf, (size_t)n) < 0)
					break;
			}
			if (pfd[0].revents == 0)
				continue;
		}
		ssize_t n = gnutls_record_recv(t->session, buf, sizeof buf);
		if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
			continue;
		if (n <= 0 || !ref_send_all(t->plain, buf, (gsize)n))
			break;
	}
	pipe_free(t);
	return NULL;
}

static int start_session(tls_pipe *t, gboolean server)
{
	int rc = gnutls_certificate_allocate_credentials(&t->cred);
	if (rc >= 0 && server)
		rc = gnutls_certificate_set_x509_key_file(t->cred, cert_path(), cert_path(),
		                                          GNUTLS_X509_FMT_PEM);
	if (rc >= 0)
		rc = gnutls_init(&t->session, server ? GNUTLS_SERVER : GNUTLS_CLIENT);
	if (rc >= 0)
		rc = gnutls_set_default_priority(t->session);
	if (rc >= 0)
		rc = gnutls_credentials_set(t->session, GNUTLS_CRD_CERTIFICATE, t->cred);
	if (rc < 0)
		return rc;
	gnutls_transport_set_ptr(t->session, t);
	gnutls_transport_set_pull_function(t->session, pull);
	gnutls_transport_set_push_function(t->session, push);
	do
		rc = gnutls_handshake(t->session);
	while (rc < 0 && !gnutls_error_is_fatal(rc) && rc != GNUTLS_E_AGAIN);
	return rc;
}

int ref_tls_wrap(int fd, gboolean server, const GByteArray *already_read, char **why)
{
	tls_pipe *t = g_new0(tls_pipe, 1);
	t->fd = fd;
	t->plain = -1;
	t->early = g_byte_array_new();
	if (already_read != NULL)
		g_byte_array_append(t->early, already_read->data, already_read->len);
	t->deadline = ref_deadline_in(REF_WAIT_S);
	int rc = start_session(t, server);
	int pair[2];
	if (rc < 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, pair) != 0) {
		*why = g_strdup_printf("TLS handshake failed: %s",
		                       rc < 0 ? gnutls_strerror(rc) : g_strerror(errno));
		pipe_free(t);
		return -1;
	}
	t->deadline = 0;
	t->plain = pair[0];
	g_thread_unref(g_thread_new("ref-tls", pump, t));
	return pair[1];
}

gboolean ref_tls_first_byte(int fd)
{
	guint8 b = 0;
	return ref_wait_readable(fd, ref_deadline_in(REF_WAIT_S), NULL) &&
	       recv(fd, &b, 1, MSG_PEEK) == 1 && b == 0x16;
}
