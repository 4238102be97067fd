/* qrp-table.c: query routing tables as presence bitmaps: building ours from
 * keywords, turning it into RESET + PATCH payloads, and rebuilding a peer's
 * from the messages it sends. A PATCH sequence is applied as it streams in:
 * each message's data is inflated (zlib, in small pieces) and its entries
 * applied to a staging copy of the slots, which replaces them once the last
 * message checks out. So a table being patched costs two bitmaps and a zlib
 * stream, never a buffer of the whole patch: what a peer can make us hold
 * grows with the slots it announced (an eighth of a byte each, twice), not
 * with its entry size or compression. */
#include "gnut/proto/qrp-table.h"

#include <string.h>

#include <zlib.h>

#include "gnut/proto/qrp.h"

/* Bytes inflated at a time while a compressed PATCH is applied. */
#define INFLATE_CHUNK 4096

struct gnut_qrp_table {
	uint32_t slots; /* 0 until a remote table's first RESET */
	unsigned bits;  /* log2(slots) */
	uint32_t count; /* slots present */
	uint8_t *map;   /* slot i is bit (i & 7) of map[i >> 3] */
	uint8_t infinity;
	bool have_reset; /* slots are sized: built here, or a RESET came */
	bool ready;      /* no update in progress since the last RESET */
	/* The PATCH sequence being applied; next_seq == 0 when there is none. */
	uint8_t next_seq;
	uint8_t seq_size;
	uint8_t compressor;
	uint8_t entry_bits;
	uint8_t *staging;  /* the slots as the sequence so far leaves them */
	uint32_t staged;   /* slots present in staging */
	size_t raw_bytes;  /* uncompressed patch bytes applied so far */
	size_t wire_bytes; /* data bytes received so far (compressed or not) */
	z_stream *zs;      /* the inflater of a compressed sequence */
	bool stream_ended; /* zs reached the end of the zlib stream */
};
static bool is_power_of_two(uint32_t v)
{
	return v != 0 && (v & (v - 1)) == 0;
}

static unsigned log2_of(uint32_t power_of_two)
{
	unsigned bits = 0;
	while ((1u << bits) < power_of_two)
		bits++;
	return bits;
}

static size_t map_bytes(uint32_t slots)
{
	return ((size_t)slots + 7) / 8;
}

/* Bytes of an uncompressed patch for `slots` entries of `entry_bits` bits;
 * the last byte may carry padding entries past the table, which are ignored. */
static size_t patch_bytes(uint32_t slots, unsigned entry_bits)
{
	return (size_t)(((uint64_t)slots * entry_bits + 7) / 8);
}

static bool map_get(const uint8_t *map, uint32_t slot)
{
	return (map[slot >> 3] >> (slot & 7)) & 1;
}

/* Gives t `slots` empty slots (slots 0: none). */
static void resize(gnut_qrp_table *t, uint32_t slots)
{
	g_free(t->map);
	t->slots = slots;
	t->bits = slots == 0 ? 0 : log2_of(slots);
	t->count = 0;
	t->map = g_malloc0(slots == 0 ? 1 : map_bytes(slots));
}

gnut_qrp_table *gnut_qrp_table_new(uint32_t slots)
{
	g_return_val_if_fail(is_power_of_two(slots) && slots <= GNUT_QRP_MAX_SLOTS, NULL);
	gnut_qrp_table *t = g_new0(gnut_qrp_table, 1);
	resize(t, slots);
	t->infinity = 2;
	t->have_reset = true;
	t->ready = true;
	return t;
}

gnut_qrp_table *gnut_qrp_table_new_remote(void)
{
	gnut_qrp_table *t = g_new0(gnut_qrp_table, 1);
	resize(t, 0);
	return t;
}

gnut_qrp_table *gnut_qrp_table_copy(const gnut_qrp_table *t)
{
	gnut_qrp_table *c = g_new0(gnut_qrp_table, 1);
	resize(c, t->slots);
	memcpy(c->map, t->map, t->slots == 0 ? 1 : map_bytes(t->slots));
	c->count = t->count;
	c->infinity = t->infinity;
	c->have_reset = t->have_reset;
	c->ready = t->ready;
	return c;
}

static void drop_sequence(gnut_qrp_table *t)
{
	g_clear_pointer(&t->staging, g_free);
	if (t->zs != NULL) {
		inflateEnd(t->zs);
		g_clear_pointer(&t->zs, g_free);
	}
	t->next_seq = 0;
}

void gnut_qrp_table_free(gnut_qrp_table *t)
{
	if (t == NULL)
		return;
	drop_sequence(t);
	g_free(t->map);
	g_free(t);
}

uint32_t gnut_qrp_table_slots(const gnut_qrp_table *t)
{
	return t->slots;
}

unsigned gnut_qrp_table_bits(const gnut_qrp_table *t)
{
	return t->bits;
}

uint32_t gnut_qrp_table_count(const gnut_qrp_table *t)
{
	return t->count;
}

bool gnut_qrp_table_get(const gnut_qrp_table *t, uint32_t slot)
{
	g_return_val_if_fail(slot < t->slots, false);
	return map_get(t->map, slot);
}

bool gnut_qrp_table_ready(const gnut_qrp_table *t)
{
	return t->ready;
}

bool gnut_qrp_table_equal(const gnut_qrp_table *a, const gnut_qrp_table *b)
{
	return a->slots == b->slots && a->count == b->count &&
	       memcmp(a->map, b->map, a->slots == 0 ? 1 : map_bytes(a->slots)) == 0;
}

static void map_set(uint8_t *map, uint32_t *count, uint32_t slot, bool present)
{
	uint8_t bit = (uint8_t)(1u << (slot & 7));
	bool was = (map[slot >> 3] & bit) != 0;
	if (was == present)
		return;
	if (present) {
		map[slot >> 3] |= bit;
		(*count)++;
	} else {
		map[slot >> 3] &= (uint8_t)~bit;
		(*count)--;
	}
}

static void set_slot(gnut_qrp_table *t, uint32_t slot, bool present)
{
	map_set(t->map, &t->count, slot, present);
}

static void add_exact(gnut_qrp_table *t, const char *kw, size_t len)
{
	set_slot(t, gnut_qrp_hash(kw, len, t->bits), true);
}

static bool utf8_continuation(char c)
{
	return ((uint8_t)c & 0xC0) == 0x80;
}

/* Prefixes are cut at character boundaries, never inside a UTF-8 sequence:
 * a query's keyword is whole characters, so no other cut could match. */
void gnut_qrp_table_add(gnut_qrp_table *t, const char *kw, size_t len, bool prefixes)
{
	g_return_if_fail(t->slots != 0);
	if (prefixes) {
		size_t chars = 0;
		for (size_t pos = 1; pos < len; pos++) {
			if (utf8_continuation(kw[pos]))
				continue;
			chars++; /* kw[0..pos) holds one more whole character */
			if (chars >= GNUT_QRP_MIN_WORD)
				add_exact(t, kw, pos);
		}
	}
	add_exact(t, kw, len);
}

gnut_qrp_table *gnut_qrp_table_from_keywords(uint32_t slots, const GPtrArray *keywords,
                                             bool prefixes)
{
	gnut_qrp_table *t = gnut_qrp_table_new(slots);
	g_return_val_if_fail(t != NULL, NULL);
	for (guint i = 0; i < keywords->len; i++) {
		const char *kw = g_ptr_array_index(keywords, i);
		gnut_qrp_table_add(t, kw, strlen(kw), prefixes);
	}
	return t;
}

/* The hash keeps the top bits of one product, so hash(k, b - r) is
 * hash(k, b) >> r: folding or spreading slots by the size ratio keeps every
 * keyword of src present in dst. */
void gnut_qrp_table_merge(gnut_qrp_table *dst, const gnut_qrp_table *src)
{
	g_return_if_fail(dst->slots != 0);
	for (uint32_t s = gnut_qrp_table_next_present(src, 0); s < src->slots;
	     s = gnut_qrp_table_next_present(src, s + 1)) {
		if (src->bits >= dst->bits) {
			set_slot(dst, s >> (src->bits - dst->bits), true);
			continue;
		}
		unsigned spread = dst->bits - src->bits;
		uint32_t first = s << spread;
		for (uint32_t d = first; d < first + (1u << spread); d++)
			set_slot(dst, d, true);
	}
}

static size_t count_chars(const char *s)
{
	size_t n = 0;
	for (; *s != '\0'; s++)
		n += !utf8_continuation(*s);
	return n;
}

GArray *gnut_qrp_query_hashcodes(const GPtrArray *keywords)
{
	GArray *codes = g_array_sized_new(FALSE, FALSE, sizeof(uint32_t), keywords->len);
	for (guint i = 0; i < keywords->len; i++) {
		const char *kw = g_ptr_array_index(keywords, i);
		if (count_chars(kw) < GNUT_QRP_MIN_WORD)
			continue;
		uint32_t code = gnut_qrp_hashcode(kw, strlen(kw));
		g_array_append_val(codes, code);
	}
	return codes;
}

bool gnut_qrp_table_matches_codes(const gnut_qrp_table *t, const uint32_t *codes, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (t->slots == 0 || !map_get(t->map, gnut_qrp_hash_restrict(codes[i], t->bits)))
			return false;
	return true;
}

bool gnut_qrp_table_matches(const gnut_qrp_table *t, const GPtrArray *keywords)
{
	for (guint i = 0; i < keywords->len; i++) {
		const char *kw = g_ptr_array_index(keywords, i);
		if (count_chars(kw) < GNUT_QRP_MIN_WORD)
			continue;
		if (t->slots == 0 || !map_get(t->map, gnut_qrp_hash(kw, strlen(kw), t->bits)))
			return false;
	}
	return true;
}

uint32_t gnut_qrp_table_next_present(const gnut_qrp_table *t, uint32_t from)
{
	uint32_t slot = from;
	while (slot < t->slots) {
		uint8_t byte = (uint8_t)(t->map[slot >> 3] >> (slot & 7));
		if (byte == 0) { /* nothing left in this byte: on to the next one */
			slot = (slot | 7) + 1;
			continue;
		}
		return slot + (uint32_t)__builtin_ctz(byte);
	}
	return t->slots;
}

/* Applies n whole bytes of raw patch entries to the staging slots, from
 * where the sequence got to, read most significant first as the spec's
 * example does ("001011110000" is [2, -1, 0] with 4-bit entries); entries
 * past the last slot (padding in the last byte) are ignored. */
static void apply_raw(gnut_qrp_table *t, const uint8_t *raw, size_t n)
{
	unsigned bits = t->entry_bits, per_byte = 8 / bits;
	unsigned mask = (1u << bits) - 1, sign = 1u << (bits - 1);
	uint64_t slot = (uint64_t)t->raw_bytes * per_byte;
	for (size_t b = 0; b < n; b++) {
		for (unsigned k = 0; k < per_byte; k++, slot++) {
			unsigned v = (raw[b] >> (8 - bits * (k + 1))) & mask;
			if (v == 0 || slot >= t->slots)
				continue;
			bool present =
			    bits == 1 ? !map_get(t->staging, (uint32_t)slot) : (v & sign) != 0;
			map_set(t->staging, &t->staged, (uint32_t)slot, present);
		}
	}
	t->raw_bytes += n;
}

/* n more bytes of uncompressed patch: TOO_LARGE past the size the table
 * needs (a zlib bomb stops at its first piece over it). */
static gnut_proto_err take_raw(gnut_qrp_table *t, const uint8_t *raw, size_t n)
{
	if (n > patch_bytes(t->slots, t->entry_bits) - t->raw_bytes)
		return GNUT_PROTO_ERR_TOO_LARGE;
	apply_raw(t, raw, n);
	return GNUT_PROTO_OK;
}

/* Inflates one message's share of the zlib stream, INFLATE_CHUNK bytes at a
 * time, and applies what comes out. Input that ends mid-stream waits for
 * the next message; bytes after the end of the stream are TRAILING. */
static gnut_proto_err take_compressed(gnut_qrp_table *t, const uint8_t *data, size_t len)
{
	if (t->stream_ended)
		return GNUT_PROTO_ERR_TRAILING;
	uint8_t out[INFLATE_CHUNK];
	t->zs->next_in = (Bytef *)data;
	t->zs->avail_in = (uInt)len;
	for (;;) {
		t->zs->next_out = out;
		t->zs->avail_out = sizeof out;
		int ret = inflate(t->zs, Z_NO_FLUSH);
		if (ret != Z_OK && ret != Z_STREAM_END && ret != Z_BUF_ERROR)
			return GNUT_PROTO_ERR_MALFORMED;
		gnut_proto_err err = take_raw(t, out, sizeof out - t->zs->avail_out);
		if (err != GNUT_PROTO_OK)
			return err;
		if (ret == Z_STREAM_END) {
			t->stream_ended = true;
			return t->zs->avail_in == 0 ? GNUT_PROTO_OK : GNUT_PROTO_ERR_TRAILING;
		}
		if (t->zs->avail_in == 0 && t->zs->avail_out != 0)
			return GNUT_PROTO_OK;
		if (ret == Z_BUF_ERROR)
			return GNUT_PROTO_ERR_MALFORMED; /* no progress with room on both sides */
	}
}

/* The data a sequence may bring: no more than the table needs, plus, when
 * compressed, zlib's worst-case growth on data that does not compress (it
 * also bounds the work a stream of empty blocks costs). */
static size_t wire_cap(const gnut_qrp_table *t)
{
	size_t raw = patch_bytes(t->slots, t->entry_bits);
	if (t->compressor == GNUT_QRP_COMPRESSOR_NONE)
		return raw;
	return raw + raw / 64 + 1024;
}

/* The first PATCH after a RESET or a finished sequence: staging starts as
 * a copy of the slots, since a patch only says what changes. */
static gnut_proto_err start_sequence(gnut_qrp_table *t, const gnut_qrp_patch *p)
{
	t->next_seq = 1;
	t->seq_size = p->seq_size;
	t->compressor = p->compressor;
	t->entry_bits = p->entry_bits;
	t->staging = g_memdup2(t->map, map_bytes(t->slots));
	t->staged = t->count;
	t->raw_bytes = 0;
	t->wire_bytes = 0;
	t->stream_ended = false;
	if (t->compressor == GNUT_QRP_COMPRESSOR_NONE)
		return GNUT_PROTO_OK;
	t->zs = g_new0(z_stream, 1);
	if (inflateInit(t->zs) != Z_OK) {
		g_clear_pointer(&t->zs, g_free);
		return GNUT_PROTO_ERR_TOO_LARGE; /* zlib could not get its memory */
	}
	return GNUT_PROTO_OK;
}

/* The last message came: the patch must have been exactly the size the
 * table needs (and its zlib stream complete); then staging becomes the
 * slots. */
static gnut_proto_err finish_sequence(gnut_qrp_table *t)
{
	if (t->compressor != GNUT_QRP_COMPRESSOR_NONE && !t->stream_ended)
		return GNUT_PROTO_ERR_TRUNCATED;
	if (t->raw_bytes != patch_bytes(t->slots, t->entry_bits))
		return GNUT_PROTO_ERR_TRUNCATED;
	uint8_t *old = t->map;
	t->map = t->staging;
	t->staging = old;
	t->count = t->staged;
	return GNUT_PROTO_OK;
}

static gnut_proto_err fail_sequence(gnut_qrp_table *t, gnut_proto_err err)
{
	drop_sequence(t);
	return err;
}

static gnut_proto_err receive_patch(gnut_qrp_table *t, const gnut_qrp_patch *p)
{
	if (!t->have_reset)
		return GNUT_PROTO_ERR_MALFORMED;
	if (t->next_seq == 0) {
		if (p->seq_no != 1)
			return GNUT_PROTO_ERR_MALFORMED;
		gnut_proto_err err = start_sequence(t, p);
		if (err != GNUT_PROTO_OK)
			return fail_sequence(t, err);
	} else if (p->seq_no != t->next_seq || p->seq_size != t->seq_size ||
	           p->compressor != t->compressor || p->entry_bits != t->entry_bits) {
		return fail_sequence(t, GNUT_PROTO_ERR_MALFORMED);
	}
	if (p->data.len > wire_cap(t) - t->wire_bytes)
		return fail_sequence(t, GNUT_PROTO_ERR_TOO_LARGE);
	t->wire_bytes += p->data.len;
	gnut_proto_err err = t->compressor == GNUT_QRP_COMPRESSOR_NONE
	                         ? take_raw(t, p->data.data, p->data.len)
	                         : take_compressed(t, p->data.data, p->data.len);
	if (err == GNUT_PROTO_OK && p->seq_no == p->seq_size)
		err = finish_sequence(t);
	if (err != GNUT_PROTO_OK)
		return fail_sequence(t, err);
	if (p->seq_no < p->seq_size) {
		t->next_seq++;
		return GNUT_PROTO_OK;
	}
	drop_sequence(t);
	t->ready = true;
	return GNUT_PROTO_OK;
}

gnut_proto_err gnut_qrp_table_receive(gnut_qrp_table *t, const gnut_qrp_msg *msg)
{
	if (msg->variant == GNUT_QRP_VARIANT_RESET) {
		const gnut_qrp_reset *r = &msg->u.reset;
		if (!is_power_of_two(r->table_length) || r->table_length > GNUT_QRP_MAX_SLOTS)
			return GNUT_PROTO_ERR_MALFORMED; /* not from gnut_qrp_msg_decode */
		drop_sequence(t);
		resize(t, r->table_length);
		t->infinity = r->infinity;
		t->have_reset = true;
		t->ready = false;
		return GNUT_PROTO_OK;
	}
	if (msg->variant == GNUT_QRP_VARIANT_PATCH)
		return receive_patch(t, &msg->u.patch);
	return GNUT_PROTO_ERR_UNSUPPORTED;
}

/* The uncompressed patch from base (NULL: nothing present) to t: adding a
 * keyword takes a slot from infinity to 1, removing it the other way. */
static GByteArray *diff_entries(const gnut_qrp_table *t, const gnut_qrp_table *base,
                                const gnut_qrp_encode_opts *o, bool *changed)
{
	unsigned bits = o->entry_bits, per_byte = 8 / bits, mask = (1u << bits) - 1;
	unsigned add = (unsigned)(1 - o->infinity) & mask;
	unsigned del = (unsigned)(o->infinity - 1) & mask;
	size_t n = patch_bytes(t->slots, bits);
	GByteArray *raw = g_byte_array_sized_new((guint)n);
	g_byte_array_set_size(raw, (guint)n);
	memset(raw->data, 0, n);
	*changed = false;
	for (uint32_t i = 0; i < t->slots; i++) {
		bool was = base != NULL && gnut_qrp_table_get(base, i);
		bool now = gnut_qrp_table_get(t, i);
		if (was == now)
			continue;
		unsigned shift = 8 - bits * (i % per_byte + 1);
		raw->data[i / per_byte] |= (uint8_t)((now ? add : del) << shift);
		*changed = true;
	}
	return raw;
}

static GByteArray *deflate_all(const GByteArray *raw)
{
	uLongf out_len = compressBound(raw->len);
	GByteArray *out = g_byte_array_sized_new((guint)out_len);
	g_byte_array_set_size(out, (guint)out_len);
	int rc = compress2(out->data, &out_len, raw->data, raw->len, Z_DEFAULT_COMPRESSION);
	g_assert(rc == Z_OK); /* only fails on a bad level or no memory */
	g_byte_array_set_size(out, (guint)out_len);
	return out;
}

static bool valid_opts(const gnut_qrp_encode_opts *o)
{
	if (o->entry_bits != 4 && o->entry_bits != 8)
		return false;
	unsigned max_infinity = o->entry_bits == 4 ? 8 : 128; /* 1 - inf must fit */
	return o->infinity >= 2 && o->infinity <= max_infinity &&
	       o->compressor <= GNUT_QRP_COMPRESSOR_ZLIB && o->chunk_size != 0 &&
	       o->chunk_size <= GNUT_QRP_MAX_PATCH_DATA;
}

static void add_payload(GPtrArray *msgs, GByteArray *b)
{
	g_ptr_array_add(msgs, g_byte_array_free_to_bytes(b));
}

/* Slices data into at most 255 PATCH payloads (the sequence number is one
 * byte), raising the slice size when the requested one would need more. */
static void emit_patches(GPtrArray *msgs, const GByteArray *data, const gnut_qrp_encode_opts *o)
{
	size_t chunk = MAX(o->chunk_size, ((size_t)data->len + 254) / 255);
	size_t count = ((size_t)data->len + chunk - 1) / chunk;
	for (size_t k = 0; k < count; k++) {
		size_t off = k * chunk;
		gnut_qrp_patch p = {
		    .seq_no = (uint8_t)(k + 1),
		    .seq_size = (uint8_t)count,
		    .compressor = o->compressor,
		    .entry_bits = o->entry_bits,
		    .data = {data->data + off, MIN(chunk, data->len - off)},
		};
		GByteArray *b = g_byte_array_new();
		gnut_qrp_patch_encode(&p, b);
		add_payload(msgs, b);
	}
}

GPtrArray *gnut_qrp_table_encode_update(const gnut_qrp_table *t, const gnut_qrp_table *sent,
                                        const gnut_qrp_encode_opts *opts)
{
	gnut_qrp_encode_opts o = opts != NULL ? *opts : GNUT_QRP_ENCODE_DEFAULTS;
	GPtrArray *msgs = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	g_return_val_if_fail(t->slots != 0 && valid_opts(&o), msgs);

	bool reset = sent == NULL || sent->slots != t->slots;
	bool changed;
	g_autoptr(GByteArray) raw = diff_entries(t, reset ? NULL : sent, &o, &changed);
	if (!reset && !changed)
		return msgs;
	if (reset) {
		gnut_qrp_reset r = {.table_length = t->slots, .infinity = o.infinity};
		GByteArray *b = g_byte_array_new();
		gnut_qrp_reset_encode(&r, b);
		add_payload(msgs, b);
	}
	if (o.compressor == GNUT_QRP_COMPRESSOR_ZLIB) {
		g_autoptr(GByteArray) packed = deflate_all(raw);
		emit_patches(msgs, packed, &o);
	} else {
		emit_patches(msgs, raw, &o);
	}
	return msgs;
}
