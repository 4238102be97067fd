/* thex-xml.c: writing and strictly reading the THEX XML description
 * (thex-xml.h) with libxml2. */
#include "gnut/proto/thex-xml.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <string.h>

#define THEX_DOCTYPE   "http://open-content.net/spec/thex/thex.dtd"
#define THEX_HASH_ALGO "http://open-content.net/spec/digest/tiger"

char *gnut_thex_xml_build(uint64_t file_size, unsigned depth, const char *uri)
{
	return g_strdup_printf("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n"
	                       "<!DOCTYPE hashtree SYSTEM \"" THEX_DOCTYPE "\">\r\n"
	                       "<hashtree>\r\n"
	                       "<file size=\"%" G_GUINT64_FORMAT "\" segmentsize=\"1024\"/>\r\n"
	                       "<digest algorithm=\"" THEX_HASH_ALGO "\" outputsize=\"24\"/>\r\n"
	                       "<serializedtree depth=\"%u\" type=\"" GNUT_THEX_TREE_TYPE
	                       "\" uri=\"%s\"/>\r\n"
	                       "</hashtree>\r\n",
	                       file_size, depth, uri);
}

static xmlNode *child_element(xmlNode *parent, const char *name)
{
	for (xmlNode *n = parent->children; n != NULL; n = n->next)
		if (n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0)
			return n;
	return NULL;
}

/* Whether attribute name of node is exactly expect. */
static gboolean attr_is(xmlNode *node, const char *name, const char *expect)
{
	xmlChar *v = xmlGetNoNsProp(node, (const xmlChar *)name);
	gboolean ok = v != NULL && strcmp((const char *)v, expect) == 0;
	xmlFree(v);
	return ok;
}

/* A decimal attribute up to max, digits only. */
static gboolean attr_number(xmlNode *node, const char *name, guint64 max, guint64 *out)
{
	xmlChar *v = xmlGetNoNsProp(node, (const xmlChar *)name);
	const char *s = (const char *)v;
	gboolean ok = s != NULL && *s != '\0' && strspn(s, "0123456789") == strlen(s) &&
	              strlen(s) <= 20 && (s[0] != '0' || s[1] == '\0');
	if (ok)
		ok = g_ascii_string_to_unsigned(s, 10, 0, max, out, NULL);
	xmlFree(v);
	return ok;
}

static gnut_proto_err read_tree_element(xmlNode *tree, gnut_thex_xml *out)
{
	guint64 depth = 0;
	if (tree == NULL || !attr_is(tree, "type", GNUT_THEX_TREE_TYPE) ||
	    !attr_number(tree, "depth", GNUT_THEX_XML_MAX_DEPTH, &depth))
		return GNUT_PROTO_ERR_MALFORMED;
	xmlChar *uri = xmlGetNoNsProp(tree, (const xmlChar *)"uri");
	if (uri == NULL)
		return GNUT_PROTO_ERR_MALFORMED;
	size_t len = strlen((const char *)uri);
	gnut_proto_err e = len > GNUT_THEX_XML_MAX_URI ? GNUT_PROTO_ERR_TOO_LARGE
	                   : len == 0                  ? GNUT_PROTO_ERR_MALFORMED
	                                               : GNUT_PROTO_OK;
	if (e == GNUT_PROTO_OK) {
		memcpy(out->uri, uri, len + 1);
		out->depth = (unsigned)depth;
	}
	xmlFree(uri);
	return e;
}

static gnut_proto_err read_document(xmlDoc *doc, gnut_thex_xml *out)
{
	/* Entities could expand without bound or point anywhere: none wanted. */
	if (doc->intSubset != NULL && doc->intSubset->entities != NULL)
		return GNUT_PROTO_ERR_MALFORMED;
	xmlNode *root = xmlDocGetRootElement(doc);
	if (root == NULL || strcmp((const char *)root->name, "hashtree") != 0)
		return GNUT_PROTO_ERR_MALFORMED;
	xmlNode *file = child_element(root, "file");
	xmlNode *digest = child_element(root, "digest");
	guint64 size = 0;
	if (file == NULL || !attr_number(file, "size", G_MAXUINT64, &size) ||
	    !attr_is(file, "segmentsize", "1024"))
		return GNUT_PROTO_ERR_MALFORMED;
	if (digest == NULL || !attr_is(digest, "algorithm", THEX_HASH_ALGO) ||
	    !attr_is(digest, "outputsize", "24"))
		return GNUT_PROTO_ERR_MALFORMED;
	gnut_thex_xml got = {.file_size = size};
	gnut_proto_err e = read_tree_element(child_element(root, "serializedtree"), &got);
	if (e == GNUT_PROTO_OK)
		*out = got;
	return e;
}

/* libxml2 (2.9) reports encoding and I/O errors through its generic error
 * handler, not the parser's options: peers must not write to our log. */
static void ignore_error(void *ctx, const char *msg, ...)
{
}

gnut_proto_err gnut_thex_xml_parse(const char *buf, size_t len, gnut_thex_xml *out)
{
	if (len > GNUT_THEX_XML_MAX)
		return GNUT_PROTO_ERR_TOO_LARGE;
	if (len == 0)
		return GNUT_PROTO_ERR_MALFORMED;
	/* The handler is per thread in libxml2: set and restored around the
	 * parse, it touches nothing another thread sees. */
	xmlGenericErrorFunc saved = xmlGenericError;
	void *saved_ctx = xmlGenericErrorContext;
	xmlSetGenericErrorFunc(NULL, ignore_error);
	xmlDoc *doc = xmlReadMemory(buf, (int)len, NULL, NULL,
	                            XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
	                                XML_PARSE_NOBLANKS);
	xmlSetGenericErrorFunc(saved_ctx, saved);
	if (doc == NULL)
		return GNUT_PROTO_ERR_MALFORMED;
	gnut_proto_err e = read_document(doc, out);
	xmlFreeDoc(doc);
	return e;
}
