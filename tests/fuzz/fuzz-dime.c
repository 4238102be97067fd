/* fuzz-dime.c: a received THEX answer as the tree fetcher reads it: the
 * DIME message, re-encoded record by record to the same bytes when it
 * decodes, then its XML record and its tree record read against the root
 * the tree itself starts with (any root is "known" to the fuzzer). */
#include "fuzz.h"
#include "gnut/proto/dime.h"
#include "gnut/proto/thex-answer.h"
#include "gnut/proto/thex-xml.h"
#include "gnut/proto/thex.h"
#include "gnut/proto/digest.h"

#include <stdlib.h>
#include <string.h>

static bool same_field(const void *a, size_t an, const void *b, size_t bn)
{
	return an == bn && (an == 0 || memcmp(a, b, an) == 0);
}

/* Options are dropped and padding zeroed, so compare decoded fields. */
static void reencode_or_abort(const gnut_dime_record *r, size_t n)
{
	GByteArray *back = g_byte_array_new();
	for (size_t i = 0; i < n; i++)
		gnut_dime_append(back, &r[i], i == 0, i + 1 == n);
	gnut_dime_record again[GNUT_DIME_MAX_RECORDS];
	size_t m = 0;
	if (gnut_dime_decode(back->data, back->len, again, &m) != GNUT_PROTO_OK || m != n)
		abort();
	for (size_t i = 0; i < n; i++)
		if (again[i].type_format != r[i].type_format ||
		    !same_field(again[i].id, again[i].id_len, r[i].id, r[i].id_len) ||
		    !same_field(again[i].type, again[i].type_len, r[i].type, r[i].type_len) ||
		    !same_field(again[i].data, again[i].data_len, r[i].data, r[i].data_len))
			abort();
	g_byte_array_unref(back);
}

/* The tree record's first node stands for the known root: any tree that
 * leads to its own first node is one a downloader could meet. */
static void read_thex(const uint8_t *data, size_t size, const gnut_dime_record *r, size_t n)
{
	const gnut_dime_record *xml = gnut_dime_find(r, n, GNUT_THEX_XML_TYPE, NULL);
	const gnut_dime_record *tree = gnut_dime_find(r, n, GNUT_THEX_TREE_TYPE, NULL);
	gnut_thex_xml desc;
	if (xml == NULL || tree == NULL || tree->data_len < GNUT_TIGER_LEN ||
	    gnut_thex_xml_parse((const char *)xml->data, xml->data_len, &desc) != GNUT_PROTO_OK)
		return;
	gnut_thex_level *l = NULL;
	if (gnut_thex_answer_parse(data, size, desc.file_size, tree->data, &l) != GNUT_PROTO_OK)
		return;
	if (l == NULL || l->n_nodes == 0 || l->n_nodes > GNUT_THEX_MAX_LEVEL ||
	    memcmp(l->root, tree->data, GNUT_TIGER_LEN) != 0)
		abort();
	/* What we would serve for it reads back the same. */
	GBytes *again = gnut_thex_answer_build(l);
	gnut_thex_level *back = NULL;
	gsize len = 0;
	const uint8_t *p = g_bytes_get_data(again, &len);
	if (gnut_thex_answer_parse(p, len, l->file_size, l->root, &back) != GNUT_PROTO_OK ||
	    back->n_nodes != l->n_nodes ||
	    memcmp(back->nodes, l->nodes, l->n_nodes * GNUT_TIGER_LEN) != 0)
		abort();
	gnut_thex_level_free(back);
	g_bytes_unref(again);
	gnut_thex_level_free(l);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	gnut_digest_init();
	gnut_dime_record r[GNUT_DIME_MAX_RECORDS];
	size_t n = 0;
	if (gnut_dime_decode(data, size, r, &n) != GNUT_PROTO_OK)
		return 0;
	if (n == 0)
		abort();
	reencode_or_abort(r, n);
	read_thex(data, size, r, n);
	return 0;
}
