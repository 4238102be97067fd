/* fuzz-qrp-patch.c: a peer's stream of QRP messages fed to a routing table:
 * the input is records of [length LE16][payload], each decoded and received
 * in turn, errors and all (a real link would close; here the table must
 * simply stay sound). Whenever the table is ready, it is encoded, both from
 * scratch and against the last ready state, and each encoding applied to a
 * copy must rebuild it exactly. RESETs over 2^16 slots are skipped to keep
 * the executions fast; the unit tests cover the largest tables. */
#include "fuzz.h"
#include "gnut/proto/qrp-table.h"

#include <stdlib.h>

#define FUZZ_MAX_SLOTS (1u << 16)

static void apply_all(gnut_qrp_table *t, GPtrArray *msgs)
{
	for (guint i = 0; i < msgs->len; i++) {
		gsize n = 0;
		const uint8_t *d = g_bytes_get_data(g_ptr_array_index(msgs, i), &n);
		gnut_qrp_msg m;
		if (gnut_qrp_msg_decode(d, n, &m) != GNUT_PROTO_OK ||
		    gnut_qrp_table_receive(t, &m) != GNUT_PROTO_OK)
			abort();
	}
}

/* Our encoder must reproduce what the peer's messages built, from nothing
 * and as an increment over the last state we checked. */
static void check_round_trip(const gnut_qrp_table *t, gnut_qrp_table **last)
{
	gnut_qrp_encode_opts opts = GNUT_QRP_ENCODE_DEFAULTS;
	opts.chunk_size = 64;
	GPtrArray *full = gnut_qrp_table_encode_update(t, NULL, &opts);
	gnut_qrp_table *fresh = gnut_qrp_table_new_remote();
	apply_all(fresh, full);
	if (!gnut_qrp_table_equal(fresh, t) || !gnut_qrp_table_ready(fresh))
		abort();
	if (*last != NULL && gnut_qrp_table_slots(*last) == gnut_qrp_table_slots(t)) {
		opts.compressor = GNUT_QRP_COMPRESSOR_NONE;
		opts.entry_bits = 8;
		GPtrArray *inc = gnut_qrp_table_encode_update(t, *last, &opts);
		apply_all(*last, inc);
		if (!gnut_qrp_table_equal(*last, t))
			abort();
		g_ptr_array_unref(inc);
	}
	gnut_qrp_table_free(*last);
	*last = gnut_qrp_table_copy(t);
	gnut_qrp_table_free(fresh);
	g_ptr_array_unref(full);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	gnut_qrp_table *t = gnut_qrp_table_new_remote();
	gnut_qrp_table *last = NULL;
	size_t off = 0;
	while (size - off >= 2) {
		size_t len = gnut_peek_le16(data + off);
		off += 2;
		if (len > size - off)
			len = size - off;
		gnut_qrp_msg m;
		gnut_proto_err err = gnut_qrp_msg_decode(data + off, len, &m);
		off += len;
		if (err != GNUT_PROTO_OK)
			continue;
		if (m.variant == GNUT_QRP_VARIANT_RESET && m.u.reset.table_length > FUZZ_MAX_SLOTS)
			continue;
		bool was_ready = gnut_qrp_table_ready(t);
		uint32_t count = gnut_qrp_table_count(t);
		err = gnut_qrp_table_receive(t, &m);
		if (err != GNUT_PROTO_OK &&
		    (gnut_qrp_table_ready(t) != was_ready || gnut_qrp_table_count(t) != count))
			abort(); /* a failed message must leave the table as it was */
		if (err == GNUT_PROTO_OK && m.variant == GNUT_QRP_VARIANT_PATCH &&
		    m.u.patch.seq_no == m.u.patch.seq_size)
			check_round_trip(t, &last);
	}
	gnut_qrp_table_free(last);
	gnut_qrp_table_free(t);
	return 0;
}
