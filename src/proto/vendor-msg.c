/* vendor-msg.c: the vendor message codec and the Messages Supported list. */
#include "gnut/proto/vendor-msg.h"

#include <string.h>

#include "gnut/proto/msg-header.h"

gnut_proto_err gnut_vendor_msg_decode(const uint8_t *buf, size_t len, gnut_vendor_msg *out)
{
	if (len < GNUT_VENDOR_MSG_HEAD)
		return GNUT_PROTO_ERR_TRUNCATED;
	memcpy(out->vendor, buf, GNUT_VENDOR_CODE_LEN);
	out->selector = gnut_peek_le16(buf + 4);
	out->version = gnut_peek_le16(buf + 6);
	out->data.data = buf + GNUT_VENDOR_MSG_HEAD;
	out->data.len = len - GNUT_VENDOR_MSG_HEAD;
	return GNUT_PROTO_OK;
}

gnut_proto_err gnut_vendor_msg_decode_as(const uint8_t *buf, size_t len, const char *vendor,
                                         uint16_t selector, uint16_t min_version,
                                         gnut_vendor_msg *out)
{
	gnut_proto_err err = gnut_vendor_msg_decode(buf, len, out);
	if (err != GNUT_PROTO_OK)
		return err;
	if (memcmp(out->vendor, vendor, GNUT_VENDOR_CODE_LEN) != 0 || out->selector != selector)
		return GNUT_PROTO_ERR_MALFORMED;
	if (out->version < min_version)
		return GNUT_PROTO_ERR_UNSUPPORTED;
	return GNUT_PROTO_OK;
}

void gnut_vendor_msg_encode_as(GByteArray *out, const char *vendor, uint16_t selector,
                               uint16_t version, const uint8_t *data, size_t len)
{
	gnut_vendor_msg m;
	memcpy(m.vendor, vendor, GNUT_VENDOR_CODE_LEN);
	m.selector = selector;
	m.version = version;
	m.data = (gnut_slice){data, len};
	gnut_vendor_msg_encode(out, &m);
}

void gnut_vendor_msg_encode(GByteArray *out, const gnut_vendor_msg *m)
{
	g_return_if_fail(m->data.len <= GNUT_MSG_MAX_PAYLOAD - GNUT_VENDOR_MSG_HEAD);
	uint8_t head[GNUT_VENDOR_MSG_HEAD];
	memcpy(head, m->vendor, GNUT_VENDOR_CODE_LEN);
	gnut_poke_le16(head + 4, m->selector);
	gnut_poke_le16(head + 6, m->version);
	g_byte_array_append(out, head, sizeof head);
	if (m->data.len > 0)
		g_byte_array_append(out, m->data.data, (guint)m->data.len);
}

bool gnut_vendor_msg_is_supported_list(const gnut_vendor_msg *m)
{
	static const uint8_t zero[GNUT_VENDOR_CODE_LEN];
	return memcmp(m->vendor, zero, GNUT_VENDOR_CODE_LEN) == 0 &&
	       m->selector == GNUT_VMSG_SEL_SUPPORTED;
}

gnut_proto_err gnut_vmsg_supported_decode(const uint8_t *buf, size_t len, gnut_vmsg_supported *out)
{
	if (len < 2)
		return GNUT_PROTO_ERR_TRUNCATED;
	uint16_t count = gnut_peek_le16(buf);
	if (count > GNUT_VMSG_SUPPORTED_MAX)
		return GNUT_PROTO_ERR_TOO_LARGE;
	size_t need = (size_t)count * GNUT_VMSG_ENTRY_LEN;
	if (len - 2 < need)
		return GNUT_PROTO_ERR_TRUNCATED;
	out->count = count;
	out->entries.data = buf + 2;
	out->entries.len = need;
	return GNUT_PROTO_OK;
}

bool gnut_vmsg_supported_get(const gnut_vmsg_supported *s, size_t i, gnut_vmsg_entry *out)
{
	if (i >= s->count || (i + 1) * GNUT_VMSG_ENTRY_LEN > s->entries.len)
		return false;
	const uint8_t *p = s->entries.data + i * GNUT_VMSG_ENTRY_LEN;
	memcpy(out->vendor, p, GNUT_VENDOR_CODE_LEN);
	out->selector = gnut_peek_le16(p + 4);
	out->version = gnut_peek_le16(p + 6);
	return true;
}

void gnut_vmsg_supported_encode(GByteArray *out, const gnut_vmsg_entry *entries, size_t n)
{
	g_return_if_fail(n <= GNUT_VMSG_SUPPORTED_MAX);
	uint8_t count[2];
	gnut_poke_le16(count, (uint16_t)n);
	g_byte_array_append(out, count, sizeof count);
	for (size_t i = 0; i < n; i++) {
		uint8_t e[GNUT_VMSG_ENTRY_LEN];
		memcpy(e, entries[i].vendor, GNUT_VENDOR_CODE_LEN);
		gnut_poke_le16(e + 4, entries[i].selector);
		gnut_poke_le16(e + 6, entries[i].version);
		g_byte_array_append(out, e, sizeof e);
	}
}
