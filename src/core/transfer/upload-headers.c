/* upload-headers.c: the mesh and THEX headers of uploads
 * (upload-headers.h). Every address from a request goes through the checks
 * of alt-loc.h before it reaches the mesh. */
#define G_LOG_DOMAIN "gnut-upload"

#include "upload-headers.h"

#include "gnut/proto/alt-loc.h"
#include "gnut/proto/base32.h"
#include "gnut/proto/urn.h"

static const char *const legacy_names[] = {"X-Gnutella-Alternate-Location", "Alt-Location"};

/* Logs what a header carried that we did not take, at most once a while. */
static void note_refused(gnut_log_limit *log, const char *name, const gnut_alt_counts *c,
                         gnut_proto_err e)
{
	if (c->refused > 0 || e != GNUT_PROTO_OK)
		gnut_log_limited(log, "%s: %zu address(es) refused%s", name, c->refused,
		                 e == GNUT_PROTO_ERR_TOO_LARGE ? ", list cut at its cap" : "");
}

static void add_all(gnut_mesh *mesh, const uint8_t *sha1, const gnut_alt *a, size_t n,
                    uint32_t announcer, gint64 now_us)
{
	for (size_t i = 0; i < n; i++)
		gnut_mesh_add_announced(mesh, sha1, &a[i], announcer, now_us);
}

void gnut_upload_learn_mesh(gnut_mesh *mesh, const gnut_shared_file *f, const gnut_head *request,
                            uint32_t peer_ip, gboolean allow_local, gint64 now_us,
                            gnut_log_limit *log)
{
	uint32_t announcer = peer_ip != 0 ? peer_ip : GNUT_MESH_ANNOUNCER_UNKNOWN;
	if (mesh == NULL)
		return;
	gnut_alt a[GNUT_ALT_MAX];
	size_t n = 0;
	gnut_alt_counts c;
	const char *v = gnut_head_get(request, "X-Alt");
	if (v != NULL) {
		gnut_proto_err e = gnut_alt_parse_compact(v, allow_local, a, &n, &c);
		note_refused(log, "X-Alt", &c, e);
		add_all(mesh, f->sha1, a, n, announcer, now_us);
	}
	for (gsize i = 0; i < G_N_ELEMENTS(legacy_names); i++) {
		if ((v = gnut_head_get(request, legacy_names[i])) == NULL)
			continue;
		gnut_proto_err e = gnut_alt_parse_legacy(v, f->sha1, allow_local, a, &n, &c);
		note_refused(log, legacy_names[i], &c, e);
		add_all(mesh, f->sha1, a, n, announcer, now_us);
	}
	if ((v = gnut_head_get(request, "X-Nalt")) != NULL) {
		gnut_alt_parse_compact(v, allow_local, a, &n, NULL);
		g_autoptr(GString) named = g_string_new(NULL);
		gnut_alt_format_compact(named, a, n);
		g_debug("X-Nalt: bad sources of %s: %s", f->name, named->str);
		for (size_t i = 0; i < n; i++)
			gnut_mesh_remove(mesh, f->sha1, a[i].ip, a[i].port);
	}
}

void gnut_upload_add_file_headers(gnut_head *answer, gnut_mesh *mesh, const gnut_shared_file *f,
                                  uint32_t peer_ip, gint64 now_us)
{
	if (f->thex != NULL) {
		char urn[GNUT_URN_SHA1_LEN + 1];
		char root[64];
		gnut_urn_format_sha1(f->sha1, urn);
		gnut_base32_encode(f->thex->root, GNUT_TIGER_LEN, false, root);
		gnut_head_addf(answer, "X-Thex-URI", "/uri-res/N2X?%s;%s", urn, root);
	}
	if (mesh == NULL)
		return;
	gnut_alt a[GNUT_UPLOAD_ALTS_SENT];
	gsize n = gnut_mesh_pick(mesh, f->sha1, peer_ip, now_us, a, G_N_ELEMENTS(a));
	if (n == 0)
		return;
	g_autoptr(GString) v = g_string_new(NULL);
	gnut_alt_format_compact(v, a, n);
	gnut_head_add(answer, "X-Alt", v->str);
}
