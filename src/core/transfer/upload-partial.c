/* upload-partial.c: serving a partial file's available ranges
 * (upload-partial.h). */
#define G_LOG_DOMAIN "gnut-upload"

#include "upload-partial.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gnut/proto/http-msg.h"
#include "gnut/proto/http-status.h"

unsigned gnut_upload_partial_open(const gnut_partial_file *pf, int *fd)
{
	*fd = open(pf->file->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (*fd < 0)
		return errno == ENOENT ? GNUT_HTTP_NOT_FOUND : GNUT_HTTP_INTERNAL_SERVER_ERROR;
	struct stat st;
	guint64 last = pf->ranges[pf->n_ranges - 1].end;
	if (fstat(*fd, &st) != 0 || !S_ISREG(st.st_mode) || (guint64)st.st_size <= last) {
		g_info("partial file %s does not hold what it offers: not served", pf->file->path);
		close(*fd);
		*fd = -1;
		return GNUT_HTTP_INTERNAL_SERVER_ERROR;
	}
	return 0;
}

unsigned gnut_upload_partial_pick_range(const gnut_head *request, const gnut_partial_file *pf,
                                        guint64 *start, guint64 *len)
{
	const char *value = gnut_head_get(request, "Range");
	gnut_http_range want[GNUT_HTTP_MAX_RANGES] = {{0, pf->file->size - 1}};
	size_t n = 1;
	if (value != NULL) {
		switch (gnut_http_parse_range(value, pf->file->size, want, &n)) {
		case GNUT_HTTP_RANGE_OK:
			break;
		case GNUT_HTTP_RANGE_UNSATISFIABLE:
			n = 0;
			break;
		default:
			return GNUT_HTTP_BAD_REQUEST;
		}
	}
	for (size_t i = 0; i < n; i++) {
		guint64 first, last;
		if (gnut_partial_file_clip(pf, want[i].start, want[i].end, &first, &last)) {
			*start = first;
			*len = last - first + 1;
			return GNUT_HTTP_PARTIAL_CONTENT;
		}
	}
	*start = 0;
	*len = 0;
	return GNUT_HTTP_RANGE_NOT_SATISFIABLE;
}

void gnut_upload_partial_add_headers(gnut_head *answer, const gnut_partial_file *pf)
{
	g_autoptr(GString) v = g_string_new(NULL);
	gnut_http_format_available_ranges(v, pf->ranges, pf->n_ranges);
	gnut_head_add(answer, "X-Available-Ranges", v->str);
}
