/* download-store.c: downloads in progress as an XML state file (see
 * download-private.h), written with gnut_atomic_write so that a crash
 * leaves the old file or the new one, and read back with caps on its size,
 * the number of downloads, ranges and sources, since the file may have been
 * damaged or edited by hand. The form:
 *
 *   <gnutd-downloads version="1">
 *     <download id="1" urn="urn:sha1:..." size="3145728" name="x.bin" to="/dir"
 *               paused="1">
 *       <range start="0" end="524288"/>            (half-open, bytes done)
 *       <source host="1.2.3.4" port="6346" index="3" name="x.bin" get-only="0"
 *               guid="<32 hex>" firewalled="1" tls="1"/>
 *     </download>
 *   </gnutd-downloads>
 *
 * paused="1" only for a download the user paused; guid is there when known, firewalled="1" only for
 * a source reached by push, tls="1" only for a source that accepts TLS (a file written before those
 * attributes existed has none: FALSE).
 *
 * A download without any <source> is one waiting for sources; one whose
 * <source>s are all bad is damaged, and skipped.
 *
 * The file is parsed without network access, DTD or entity expansion: a
 * document that carries a DTD is refused. */
#define G_LOG_DOMAIN "gnut-core"

#include "download-private.h"

#include <gio/gio.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <string.h>

#include "gnut/base/atomic-file.h"
#include "gnut/proto/urn.h"

#define ROOT_NAME     "gnutd-downloads"
#define STORE_VERSION "1"

static void clear_source(gpointer p)
{
	gnut_download_source *s = p;
	/* The record owns these strings (see download-private.h). */
	g_free((char *)s->host);
	g_free((char *)s->name);
}

gnut_download_record *gnut_download_record_new(void)
{
	gnut_download_record *r = g_new0(gnut_download_record, 1);
	r->ranges = g_array_new(FALSE, FALSE, sizeof(gnut_download_range));
	r->sources = g_array_new(FALSE, TRUE, sizeof(gnut_download_source));
	g_array_set_clear_func(r->sources, clear_source);
	return r;
}

void gnut_download_record_free(gpointer record)
{
	gnut_download_record *r = record;
	if (r == NULL)
		return;
	g_free(r->name);
	g_free(r->to_dir);
	g_array_unref(r->ranges);
	g_array_unref(r->sources);
	g_free(r);
}

static void set_u64(xmlNode *node, const char *name, guint64 v)
{
	char buf[32];
	g_snprintf(buf, sizeof buf, "%" G_GUINT64_FORMAT, v);
	xmlNewProp(node, (const xmlChar *)name, (const xmlChar *)buf);
}

static void set_str(xmlNode *node, const char *name, const char *v)
{
	xmlNewProp(node, (const xmlChar *)name, (const xmlChar *)v);
}

static void add_source_node(xmlNode *parent, const gnut_download_source *s)
{
	xmlNode *n = xmlNewChild(parent, NULL, (const xmlChar *)"source", NULL);
	set_str(n, "host", s->host);
	set_u64(n, "port", s->port);
	set_u64(n, "index", s->index);
	if (s->name != NULL)
		set_str(n, "name", s->name);
	set_str(n, "get-only", s->get_only ? "1" : "0");
	if (s->has_guid) {
		char hex[GNUT_GUID_HEX_LEN + 1];
		gnut_guid_to_hex(&s->guid, hex);
		set_str(n, "guid", hex);
	}
	if (s->firewalled)
		set_str(n, "firewalled", "1");
	if (s->tls)
		set_str(n, "tls", "1");
}

static void add_download_node(xmlNode *root, const gnut_download_record *r)
{
	xmlNode *n = xmlNewChild(root, NULL, (const xmlChar *)"download", NULL);
	char urn[GNUT_URN_SHA1_LEN + 1];
	gnut_urn_format_sha1(r->sha1, urn);
	set_u64(n, "id", r->id);
	set_str(n, "urn", urn);
	set_u64(n, "size", r->size);
	set_str(n, "name", r->name);
	if (r->to_dir != NULL)
		set_str(n, "to", r->to_dir);
	if (r->paused)
		set_str(n, "paused", "1");
	for (guint i = 0; i < r->ranges->len; i++) {
		const gnut_download_range *rg = &g_array_index(r->ranges, gnut_download_range, i);
		xmlNode *rn = xmlNewChild(n, NULL, (const xmlChar *)"range", NULL);
		set_u64(rn, "start", rg->start);
		set_u64(rn, "end", rg->end);
	}
	for (guint i = 0; i < r->sources->len; i++)
		add_source_node(n, &g_array_index(r->sources, gnut_download_source, i));
}

gboolean gnut_download_store_save(const char *path, GPtrArray *records, GError **error)
{
	g_return_val_if_fail(path != NULL && records != NULL, FALSE);
	xmlDoc *doc = xmlNewDoc((const xmlChar *)"1.0");
	xmlNode *root = xmlNewNode(NULL, (const xmlChar *)ROOT_NAME);
	xmlDocSetRootElement(doc, root);
	set_str(root, "version", STORE_VERSION);
	for (guint i = 0; i < records->len; i++)
		add_download_node(root, g_ptr_array_index(records, i));
	xmlChar *text = NULL;
	int len = 0;
	xmlDocDumpFormatMemoryEnc(doc, &text, &len, "UTF-8", 1);
	xmlFreeDoc(doc);
	if (text == NULL) {
		g_set_error(error, GNUT_DOWNLOAD_ERROR, GNUT_DOWNLOAD_ERROR_IO,
		            "cannot serialise the download state");
		return FALSE;
	}
	gboolean ok = gnut_atomic_write(path, text, (gsize)len, error);
	xmlFree(text);
	return ok;
}

/* An attribute's value as a g_malloc'd string, or NULL when absent. */
static char *get_str(xmlNode *n, const char *name)
{
	xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
	if (v == NULL)
		return NULL;
	char *copy = g_strdup((const char *)v);
	xmlFree(v);
	return copy;
}

static gboolean get_u64(xmlNode *n, const char *name, guint64 max, guint64 *out)
{
	g_autofree char *v = get_str(n, name);
	return v != NULL && g_ascii_string_to_unsigned(v, 10, 0, max, out, NULL);
}

static gboolean is_element(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

/* One <source>, checked like a source given to gnut_downloads_add. */
static gboolean parse_source(xmlNode *n, gnut_download_source *out)
{
	guint64 port = 0, index = 0;
	g_autofree char *host = get_str(n, "host");
	g_autofree char *name = get_str(n, "name");
	g_autofree char *get_only = get_str(n, "get-only");
	g_autofree char *guid = get_str(n, "guid");
	g_autofree char *firewalled = get_str(n, "firewalled");
	g_autofree char *tls = get_str(n, "tls");
	if (!get_u64(n, "port", G_MAXUINT16, &port) || !get_u64(n, "index", G_MAXUINT32, &index))
		return FALSE;
	gnut_download_source s = {
	    .host = host,
	    .port = (guint16)port,
	    .index = (guint32)index,
	    .name = name,
	    .get_only = g_strcmp0(get_only, "1") == 0,
	    .firewalled = g_strcmp0(firewalled, "1") == 0,
	    .tls = g_strcmp0(tls, "1") == 0,
	};
	if (guid != NULL) {
		if (!gnut_guid_from_hex(guid, strlen(guid), &s.guid))
			return FALSE;
		s.has_guid = TRUE;
	}
	if (!gnut_download_source_check(&s, NULL))
		return FALSE;
	s.host = g_steal_pointer(&host);
	s.name = g_steal_pointer(&name);
	*out = s;
	return TRUE;
}

/* The <range> and <source> children of a <download>; *listed counts the
 * <source>s, bad ones included. FALSE: a range that does not fit the file,
 * or too many of either. */
static gboolean parse_children(xmlNode *dn, gnut_download_record *r, guint *listed)
{
	*listed = 0;
	for (xmlNode *c = dn->children; c != NULL; c = c->next) {
		if (is_element(c, "range")) {
			gnut_download_range rg;
			if (r->ranges->len >= GNUT_DOWNLOAD_STORE_MAX_RANGES ||
			    !get_u64(c, "start", r->size, &rg.start) ||
			    !get_u64(c, "end", r->size, &rg.end) || rg.end <= rg.start)
				return FALSE;
			g_array_append_val(r->ranges, rg);
		} else if (is_element(c, "source")) {
			gnut_download_source s;
			if (r->sources->len >= GNUT_DOWNLOAD_MAX_SOURCES)
				return FALSE;
			(*listed)++;
			if (parse_source(c, &s))
				g_array_append_val(r->sources, s);
			else
				g_warning("download state: skipping a bad source");
		}
	}
	return TRUE;
}

/* One <download>, or NULL when it does not make sense. */
static gnut_download_record *parse_download(xmlNode *dn)
{
	gnut_download_record *r = gnut_download_record_new();
	guint listed = 0;
	g_autofree char *urn_text = get_str(dn, "urn");
	gnut_urn urn;
	gboolean ok = get_u64(dn, "id", G_MAXUINT64, &r->id) && r->id != 0 && urn_text != NULL &&
	              gnut_urn_parse(urn_text, strlen(urn_text), &urn) == GNUT_PROTO_OK &&
	              urn.has_sha1 && get_u64(dn, "size", GNUT_DOWNLOAD_MAX_SIZE, &r->size);
	if (ok) {
		memcpy(r->sha1, urn.sha1, GNUT_SHA1_LEN);
		r->name = get_str(dn, "name");
		r->to_dir = get_str(dn, "to");
		g_autofree char *paused = get_str(dn, "paused");
		r->paused = g_strcmp0(paused, "1") == 0;
		ok = r->name != NULL && (r->to_dir == NULL || g_path_is_absolute(r->to_dir)) &&
		     parse_children(dn, r, &listed) && (listed == 0 || r->sources->len > 0);
	}
	if (!ok) {
		gnut_download_record_free(r);
		return NULL;
	}
	return r;
}

static gboolean state_error(GError **error, const char *path, const char *why)
{
	g_set_error(error, GNUT_DOWNLOAD_ERROR, GNUT_DOWNLOAD_ERROR_STATE, "%s: %s", path, why);
	return FALSE;
}

/* Parses the document's records into out. FALSE: not a state file of ours. */
static gboolean parse_doc(xmlDoc *doc, const char *path, GPtrArray *out, GError **error)
{
	if (doc->intSubset != NULL || doc->extSubset != NULL)
		return state_error(error, path, "a document type declaration is not allowed");
	xmlNode *root = xmlDocGetRootElement(doc);
	if (root == NULL || !is_element(root, ROOT_NAME))
		return state_error(error, path, "not a download state file");
	g_autofree char *version = get_str(root, "version");
	if (g_strcmp0(version, STORE_VERSION) != 0)
		return state_error(error, path, "unknown version");
	for (xmlNode *n = root->children; n != NULL; n = n->next) {
		if (!is_element(n, "download"))
			continue;
		if (out->len >= GNUT_DOWNLOAD_STORE_MAX_DOWNLOADS)
			return state_error(error, path, "too many downloads");
		gnut_download_record *r = parse_download(n);
		if (r != NULL)
			g_ptr_array_add(out, r);
		else
			g_warning("%s: skipping a download that does not make sense", path);
	}
	return TRUE;
}

GPtrArray *gnut_download_store_load(const char *path, GError **error)
{
	g_return_val_if_fail(path != NULL, NULL);
	g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(gnut_download_record_free);
	g_autofree char *text = NULL;
	gsize len = 0;
	g_autoptr(GError) err = NULL;
	if (!gnut_read_file_capped(path, GNUT_DOWNLOAD_STORE_MAX_BYTES, &text, &len, &err)) {
		if (g_error_matches(err, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
			return g_steal_pointer(&out);
		state_error(error, path, err->message);
		return NULL;
	}
	if (len > G_MAXINT) {
		state_error(error, path, "too large");
		return NULL;
	}
	xmlDoc *doc = xmlReadMemory(text, (int)len, NULL, "UTF-8",
	                            XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_NOERROR |
	                                XML_PARSE_NOWARNING);
	if (doc == NULL) {
		state_error(error, path, "not well-formed XML");
		return NULL;
	}
	gboolean ok = parse_doc(doc, path, out, error);
	xmlFreeDoc(doc);
	return ok ? g_steal_pointer(&out) : NULL;
}
