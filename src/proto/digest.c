/* digest.c: libgcrypt initialisation and SHA-1 over libgcrypt (which uses the
 * CPU's SHA instructions where there are some). */
#include "gnut/proto/digest.h"

#include <gcrypt.h>
#include <glib.h>
#include <string.h>

struct gnut_sha1 {
	gcry_md_hd_t hd;
};

/* libgcrypt wants its version checked and its initialisation declared
 * finished before first use, exactly once per process. When another library
 * of the process already finished it, its settings are left alone. */
void gnut_digest_init(void)
{
	static gsize done = 0;

	if (!g_once_init_enter(&done))
		return;
	if (!gcry_control(GCRYCTL_INITIALIZATION_FINISHED_P)) {
		if (gcry_check_version(GCRYPT_VERSION) == NULL)
			g_error("libgcrypt is older than %s, the version gnutd was built with",
			        GCRYPT_VERSION);
		gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
		gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	}
	g_once_init_leave(&done, 1);
}

gnut_sha1 *gnut_sha1_new(void)
{
	gnut_sha1 *h = g_new(gnut_sha1, 1);
	gcry_error_t err = gcry_md_open(&h->hd, GCRY_MD_SHA1, 0);

	/* Fails only when out of memory or when SHA-1 is disabled (FIPS mode):
	 * nothing a servent could go on without, as GLib does on OOM. */
	if (err != 0)
		g_error("cannot start a SHA-1 computation: %s", gcry_strerror(err));
	return h;
}

void gnut_sha1_update(gnut_sha1 *h, const void *data, size_t len)
{
	g_return_if_fail(h != NULL);
	if (len > 0)
		gcry_md_write(h->hd, data, len);
}

void gnut_sha1_finish(gnut_sha1 *h, uint8_t out[GNUT_SHA1_LEN])
{
	g_return_if_fail(h != NULL);
	memcpy(out, gcry_md_read(h->hd, GCRY_MD_SHA1), GNUT_SHA1_LEN);
	gnut_sha1_free(h);
}

void gnut_sha1_free(gnut_sha1 *h)
{
	if (h == NULL)
		return;
	gcry_md_close(h->hd);
	g_free(h);
}

void gnut_sha1_buffer(const void *data, size_t len, uint8_t out[GNUT_SHA1_LEN])
{
	gcry_md_hash_buffer(GCRY_MD_SHA1, out, data, len);
}
