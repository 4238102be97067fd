/* thex-answer.c: building and reading the DIME body of a THEX answer
 * (thex-answer.h) from the three codecs it is made of. */
#include "gnut/proto/thex-answer.h"

#include <string.h>

#include "gnut/proto/base32.h"
#include "gnut/proto/dime.h"
#include "gnut/proto/thex-xml.h"

#define UUID_LEN 41 /* "uuid:" + 32 hex digits + 4 dashes */

/* The tree record's ID, from the first 16 bytes of the root. */
static void tree_id(const uint8_t root[GNUT_TIGER_LEN], char out[UUID_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	char *p = out + g_snprintf(out, UUID_LEN + 1, "uuid:");
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*p++ = '-';
		*p++ = hex[root[i] >> 4];
		*p++ = hex[root[i] & 0x0f];
	}
	*p = '\0';
}

GBytes *gnut_thex_answer_build(const gnut_thex_level *l)
{
	char id[UUID_LEN + 1];
	tree_id(l->root, id);
	g_autofree char *xml = gnut_thex_xml_build(l->file_size, l->depth, id);
	g_autoptr(GByteArray) tree = g_byte_array_new();
	gnut_thex_serialize(l, tree);
	GByteArray *out = g_byte_array_new();
	gnut_dime_record desc = {.type_format = GNUT_DIME_TYPE_MEDIA,
	                         .type = GNUT_THEX_XML_TYPE,
	                         .type_len = strlen(GNUT_THEX_XML_TYPE),
	                         .data = (const uint8_t *)xml,
	                         .data_len = strlen(xml)};
	gnut_dime_record nodes = {.type_format = GNUT_DIME_TYPE_URI,
	                          .id = id,
	                          .id_len = strlen(id),
	                          .type = GNUT_THEX_TREE_TYPE,
	                          .type_len = strlen(GNUT_THEX_TREE_TYPE),
	                          .data = tree->data,
	                          .data_len = tree->len};
	gnut_dime_append(out, &desc, true, false);
	gnut_dime_append(out, &nodes, false, true);
	return g_byte_array_free_to_bytes(out);
}

gnut_proto_err gnut_thex_answer_parse(const uint8_t *buf, size_t len, uint64_t file_size,
                                      const uint8_t root[GNUT_TIGER_LEN], gnut_thex_level **out)
{
	*out = NULL;
	if (len > GNUT_THEX_ANSWER_MAX)
		return GNUT_PROTO_ERR_TOO_LARGE;
	gnut_dime_record r[GNUT_DIME_MAX_RECORDS];
	size_t n = 0;
	gnut_proto_err e = gnut_dime_decode(buf, len, r, &n);
	if (e != GNUT_PROTO_OK)
		return e;
	const gnut_dime_record *xml = gnut_dime_find(r, n, GNUT_THEX_XML_TYPE, NULL);
	if (xml == NULL)
		return GNUT_PROTO_ERR_MALFORMED;
	gnut_thex_xml desc;
	e = gnut_thex_xml_parse((const char *)xml->data, xml->data_len, &desc);
	if (e != GNUT_PROTO_OK)
		return e;
	if (desc.file_size != file_size)
		return GNUT_PROTO_ERR_MALFORMED;
	const gnut_dime_record *tree = gnut_dime_find(r, n, GNUT_THEX_TREE_TYPE, desc.uri);
	if (tree == NULL)
		tree = gnut_dime_find(r, n, GNUT_THEX_TREE_TYPE, NULL);
	if (tree == NULL)
		return GNUT_PROTO_ERR_MALFORMED;
	return gnut_thex_parse_tree(tree->data, tree->data_len, file_size, desc.depth, root, out);
}

gnut_proto_err gnut_thex_uri_parse(const char *value, char uri[GNUT_THEX_URI_MAX + 1],
                                   bool *has_root, uint8_t root[GNUT_TIGER_LEN])
{
	const char *semi = strchr(value, ';');
	size_t path_len = semi != NULL ? (size_t)(semi - value) : strlen(value);
	while (path_len > 0 && (value[path_len - 1] == ' ' || value[path_len - 1] == '\t'))
		path_len--;
	if (path_len == 0 || value[0] != '/')
		return GNUT_PROTO_ERR_MALFORMED;
	if (path_len > GNUT_THEX_URI_MAX)
		return GNUT_PROTO_ERR_TOO_LARGE;
	for (size_t i = 0; i < path_len; i++)
		if ((unsigned char)value[i] <= ' ' || value[i] == 0x7f)
			return GNUT_PROTO_ERR_MALFORMED;
	uint8_t r[GNUT_TIGER_LEN];
	bool found = false;
	if (semi != NULL) {
		const char *b = semi + 1;
		while (*b == ' ' || *b == '\t')
			b++;
		size_t n = strlen(b);
		while (n > 0 && (b[n - 1] == ' ' || b[n - 1] == '\t'))
			n--;
		size_t got = 0;
		if (n != 39 || gnut_base32_decode(b, n, r, sizeof r, &got) != GNUT_PROTO_OK ||
		    got != GNUT_TIGER_LEN)
			return GNUT_PROTO_ERR_MALFORMED;
		found = true;
	}
	memcpy(uri, value, path_len);
	uri[path_len] = '\0';
	*has_root = found;
	if (found)
		memcpy(root, r, GNUT_TIGER_LEN);
	return GNUT_PROTO_OK;
}
