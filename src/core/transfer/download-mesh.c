/* download-mesh.c: what a download and its sources tell each other about
 * other sources (see download-manager.h).
 *
 * From every reply head: X-Alt (compact) and the legacy headers
 * (X-Gnutella-Alternate-Location, Alt-Location) go through the checks of
 * alt-loc.h, then into the servent's mesh and the download's sources (an
 * X-Alt never revives a source we gave up); X-Nalt takes a source out of
 * the mesh (a stranger's word is not enough to give up a source of ours);
 * On every request: X-Alt
 * with the freshest sources of the mesh (never the source's own address)
 * and X-Nalt with the sources that sent us bad data. A source whose chunks
 * checked good joins the mesh; one that sent bad data leaves it. */
#define G_LOG_DOMAIN "gnut-core"

#include "download-manager.h"

#include <string.h>

#include "gnut/proto/address.h"
#include "gnut/proto/alt-loc.h"

#define TELL_ALTS 10 /* sources in our X-Alt */
#define MAX_NALTS GNUT_ALT_MAX

static const char *const legacy_names[] = {"X-Gnutella-Alternate-Location", "Alt-Location"};

gboolean gnut_dl_source_ipv4(const gnut_dl_source *s, uint32_t *ip)
{
	return !s->firewalled && s->port != 0 &&
	       gnut_addr_parse_ipv4(s->host, strlen(s->host), ip) == GNUT_PROTO_OK;
}

static void note_refused(gnut_dl *d, const char *name, const gnut_alt_counts *c, gnut_proto_err e)
{
	if (c->refused > 0 || e != GNUT_PROTO_OK)
		gnut_log_limited(d->mgr->log,
		                 "download %" G_GUINT64_FORMAT ": %s: %zu address(es) "
		                 "refused%s",
		                 d->id, name, c->refused,
		                 e == GNUT_PROTO_ERR_TOO_LARGE ? ", list cut at its cap" : "");
}

static gboolean to_alt(const gnut_dl_source *s, gnut_alt *a)
{
	uint32_t ip;
	if (!gnut_dl_source_ipv4(s, &ip))
		return FALSE;
	*a = (gnut_alt){.ip = ip, .port = s->port, .tls = s->tls};
	return TRUE;
}

/* Takes a, n: into the mesh and the sources. TRUE when a source is new. */
static gboolean take_alts(gnut_dl *d, uint32_t announcer, const gnut_alt *a, size_t n)
{
	gnut_downloads *m = d->mgr;
	gint64 now = gnut_clock_now_us(m->clock);
	guint before = d->sources->len;
	for (size_t i = 0; i < n; i++) {
		if (m->mesh != NULL)
			gnut_mesh_add_announced(m->mesh, d->sha1, &a[i], announcer, now);
		char host[GNUT_ADDR_IPV4_LEN];
		gnut_addr_format_ipv4(a[i].ip, host);
		gnut_download_source src = {.host = host, .port = a[i].port, .tls = a[i].tls};
		gnut_dl_merge_source(d, &src, FALSE);
	}
	return d->sources->len > before;
}

gboolean gnut_dl_mesh_learn(gnut_dl *d, const gnut_dl_source *from, const gnut_head *h)
{
	gnut_downloads *m = d->mgr;
	gnut_alt self;
	uint32_t announcer = to_alt(from, &self) ? self.ip : GNUT_MESH_ANNOUNCER_UNKNOWN;
	gnut_alt a[GNUT_ALT_MAX];
	size_t n = 0;
	gnut_alt_counts c;
	gboolean added = FALSE;
	const char *v = gnut_head_get(h, "X-Alt");
	if (v != NULL) {
		gnut_proto_err e = gnut_alt_parse_compact(v, m->allow_local, a, &n, &c);
		note_refused(d, "X-Alt", &c, e);
		added |= take_alts(d, announcer, a, n);
	}
	for (gsize i = 0; i < G_N_ELEMENTS(legacy_names); i++) {
		if ((v = gnut_head_get(h, legacy_names[i])) == NULL)
			continue;
		gnut_proto_err e = gnut_alt_parse_legacy(v, d->sha1, m->allow_local, a, &n, &c);
		note_refused(d, legacy_names[i], &c, e);
		added |= take_alts(d, announcer, a, n);
	}
	if ((v = gnut_head_get(h, "X-Nalt")) != NULL && m->mesh != NULL) {
		gnut_alt_parse_compact(v, m->allow_local, a, &n, NULL);
		for (size_t i = 0; i < n; i++)
			gnut_mesh_remove(m->mesh, d->sha1, a[i].ip, a[i].port);
	}
	return added;
}

void gnut_dl_mesh_tell(gnut_dl *d, const gnut_dl_source *to, gnut_head *h)
{
	gnut_downloads *m = d->mgr;
	uint32_t to_ip = 0;
	gnut_dl_source_ipv4(to, &to_ip);
	if (m->mesh != NULL) {
		gnut_alt a[TELL_ALTS];
		gsize n = gnut_mesh_pick(m->mesh, d->sha1, to_ip, gnut_clock_now_us(m->clock), a,
		                         TELL_ALTS);
		if (n > 0) {
			g_autoptr(GString) v = g_string_new(NULL);
			gnut_alt_format_compact(v, a, n);
			gnut_head_add(h, "X-Alt", v->str);
		}
	}
	if (d->nalts != NULL && d->nalts->len > 0) {
		g_autoptr(GString) v = g_string_new(NULL);
		gnut_alt_format_compact(v, (const gnut_alt *)(void *)d->nalts->data, d->nalts->len);
		gnut_head_add(h, "X-Nalt", v->str);
	}
}

void gnut_dl_mesh_good(gnut_dl *d, gnut_dl_source *src)
{
	gnut_alt a;
	if (src->in_mesh || src->dead || d->mgr->mesh == NULL || !to_alt(src, &a) ||
	    !gnut_alt_address_ok(a.ip, a.port, d->mgr->allow_local))
		return;
	src->in_mesh = TRUE;
	gnut_mesh_add(d->mgr->mesh, d->sha1, &a, gnut_clock_now_us(d->mgr->clock));
}

void gnut_dl_mesh_bad(gnut_dl *d, gnut_dl_source *src, gboolean announce)
{
	gnut_alt a;
	src->in_mesh = FALSE;
	if (!to_alt(src, &a))
		return;
	if (d->mgr->mesh != NULL)
		gnut_mesh_remove(d->mgr->mesh, d->sha1, a.ip, a.port);
	if (!announce)
		return;
	if (d->nalts == NULL)
		d->nalts = g_array_new(FALSE, FALSE, sizeof(gnut_alt));
	for (guint i = 0; i < d->nalts->len; i++) {
		const gnut_alt *b = &g_array_index(d->nalts, gnut_alt, i);
		if (b->ip == a.ip && b->port == a.port)
			return;
	}
	if (d->nalts->len < MAX_NALTS)
		g_array_append_val(d->nalts, a);
}
