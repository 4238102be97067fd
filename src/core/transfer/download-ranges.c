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

gboolean gnut_download_ranges_first_missing(const GArray *set, guint64 size, guint64 *start,
                                            guint64 *len)
{
	guint64 pos = 0, end = size;
	for (guint i = 0; i < set->len; i++) {
		const gnut_download_range *r = &g_array_index(set, gnut_download_range, i);
		if (r->start > pos) {
			end = r->start;
			break;
		}
		pos = MAX(pos, r->end);
	}
	if (pos >= end)
		return FALSE;
	*start = pos;
	*len = MIN(end - pos, (guint64)GNUT_DOWNLOAD_CHUNK);
	return TRUE;
}
