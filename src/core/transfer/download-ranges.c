/* download-ranges.c: the done bytes of a download as a sorted set of
 * disjoint, non-adjacent half-open ranges in a GArray (see
 * download-private.h). A download has few ranges (one per hole its
 * sources left), so a linear walk is all it needs. */
#include "download-private.h"

guint64 gnut_download_ranges_add(GArray *set, guint64 start, guint64 end)
{
	guint64 added = end - start;
	guint i = 0;
	while (i < set->len && g_array_index(set, gnut_download_range, i).end < start)
		i++;
	guint j = i;
	guint64 s = start, e = end;
	while (j < set->len && g_array_index(set, gnut_download_range, j).start <= end) {
		const gnut_download_range *r = &g_array_index(set, gnut_download_range, j);
		guint64 lo = MAX(r->start, start), hi = MIN(r->end, end);
		if (hi > lo)
			added -= hi - lo;
		s = MIN(s, r->start);
		e = MAX(e, r->end);
		j++;
	}
	g_array_remove_range(set, i, j - i);
	gnut_download_range merged = {s, e};
	g_array_insert_val(set, i, merged);
	return added;
}

void gnut_download_ranges_remove(GArray *set, guint64 start, guint64 end)
{
	for (guint i = 0; i < set->len && start < end;) {
		gnut_download_range r = g_array_index(set, gnut_download_range, i);
		if (r.end <= start || r.start >= end) {
			i++;
			continue;
		}
		g_array_remove_index(set, i);
		if (r.start < start) {
			gnut_download_range left = {r.start, start};
			g_array_insert_val(set, i++, left);
		}
		if (r.end > end) {
			gnut_download_range right = {end, r.end};
			g_array_insert_val(set, i++, right);
		}
	}
}

gboolean gnut_download_ranges_missing_in(const GArray *set, guint64 from, guint64 to,
                                         guint64 *start, guint64 *len)
{
	guint64 pos = from, end = to;
	for (guint i = 0; i < set->len; i++) {
		const gnut_download_range *r = &g_array_index(set, gnut_download_range, i);
		if (r->end <= pos)
			continue;
		if (r->start > pos) {
			end = MIN(to, r->start);
			break;
		}
		pos = r->end;
	}
	if (pos >= end)
		return FALSE;
	*start = pos;
	*len = end - pos;
	return TRUE;
}

guint64 gnut_download_ranges_count_in(const GArray *set, guint64 from, guint64 to)
{
	guint64 n = 0;
	for (guint i = 0; i < set->len; i++) {
		const gnut_download_range *r = &g_array_index(set, gnut_download_range, i);
		guint64 lo = MAX(r->start, from), hi = MIN(r->end, to);
		if (hi > lo)
			n += hi - lo;
	}
	return n;
}

void gnut_download_ranges_whole_chunks(const GArray *set, guint64 size, guint64 chunk, GArray *out,
                                       guint max)
{
	for (guint i = 0; i < set->len && out->len < max; i++) {
		const gnut_download_range *r = &g_array_index(set, gnut_download_range, i);
		guint64 start = (r->start + chunk - 1) / chunk * chunk;
		guint64 end = r->end == size ? size : r->end / chunk * chunk;
		if (end > start) {
			gnut_http_range whole = {.start = start, .end = end - 1};
			g_array_append_val(out, whole);
		}
	}
}
