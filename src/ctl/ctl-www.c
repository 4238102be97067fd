/* ctl-www.c: serves the web UI's static files on the control address (see
 * gnut/ctl/ctl-www.h): finds their folder, maps a request path to a file
 * name, reads the file safely and answers with headers that keep the page
 * to its own origin. */
#define G_LOG_DOMAIN "gnut-ctl"

#include "gnut/ctl/ctl-www.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct {
	const char *extension;
	const char *content_type;
} content_types[] = {
    {".html", "text/html; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
};

static gboolean has_index(const char *dir)
{
	g_autofree char *path = g_build_filename(dir, GNUT_WWW_INDEX, NULL);
	return g_file_test(path, G_FILE_TEST_IS_REGULAR);
}

char *gnut_www_dir(void)
{
	const char *env = g_getenv(GNUT_WWW_DIR_ENV);
	if (env != NULL && *env != '\0')
		return g_strdup(env);
	g_autofree char *installed = g_build_filename(GNUT_DATADIR, "www", NULL);
	if (has_index(installed))
		return g_steal_pointer(&installed);
	return g_build_filename(GNUT_SRC_SHAREDIR, "www", NULL);
}

const char *gnut_www_content_type(const char *name)
{
	for (gsize i = 0; i < G_N_ELEMENTS(content_types); i++)
		if (g_str_has_suffix(name, content_types[i].extension))
			return content_types[i].content_type;
	return NULL;
}

/* [a-z0-9-]+ then one known extension: no '/', no "..", no hidden file. */
char *gnut_www_file_name(const char *path)
{
	if (path == NULL || path[0] != '/')
		return NULL;
	if (path[1] == '\0')
		return g_strdup(GNUT_WWW_INDEX);
	const char *name = path + 1;
	gsize len = strlen(name);
	const char *dot = strchr(name, '.');
	if (len > GNUT_WWW_MAX_NAME || dot == NULL || dot == name)
		return NULL;
	for (const char *c = name; c < dot; c++)
		if (!g_ascii_islower(*c) && !g_ascii_isdigit(*c) && *c != '-')
			return NULL;
	for (gsize i = 0; i < G_N_ELEMENTS(content_types); i++)
		if (strcmp(dot, content_types[i].extension) == 0)
			return g_strdup(name);
	return NULL;
}

static GBytes *read_all(int fd, gsize size, const char *path, GError **error)
{
	g_autofree guint8 *data = g_malloc(size + 1);
	gsize got = 0;
	while (got < size) {
		ssize_t n = read(fd, data + got, size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int err = n < 0 ? errno : EIO;
			g_set_error(error, G_IO_ERROR, g_io_error_from_errno(err), "%s: %s", path,
			            n < 0 ? g_strerror(err) : "shorter than its size");
			return NULL;
		}
		got += (gsize)n;
	}
	return g_bytes_new_take(g_steal_pointer(&data), size);
}

GBytes *gnut_www_load(const char *dir, const char *name, GError **error)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		int err = errno;
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(err), "%s: %s", path,
		            g_strerror(err));
		return NULL;
	}
	struct stat st;
	GBytes *bytes = NULL;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE,
		            "%s: not a regular file", path);
	else if (st.st_size > GNUT_WWW_MAX_FILE)
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: over %d bytes", path,
		            GNUT_WWW_MAX_FILE);
	else
		bytes = read_all(fd, (gsize)st.st_size, path, error);
	close(fd);
	return bytes;
}

static void set_headers(SoupServerMessage *msg)
{
	SoupMessageHeaders *rh = soup_server_message_get_response_headers(msg);
	soup_message_headers_replace(rh, "Cache-Control", "no-cache");
	soup_message_headers_replace(rh, "X-Content-Type-Options", "nosniff");
	soup_message_headers_replace(rh, "Content-Security-Policy", GNUT_WWW_CSP);
	soup_message_headers_replace(rh, "X-Frame-Options", "DENY");
	soup_message_headers_replace(rh, "Referrer-Policy", "no-referrer");
}

gboolean gnut_www_serve(const char *dir, SoupServerMessage *msg, const char *path)
{
	const char *method = soup_server_message_get_method(msg);
	if (dir == NULL ||
	    (strcmp(method, SOUP_METHOD_GET) != 0 && strcmp(method, SOUP_METHOD_HEAD) != 0))
		return FALSE;
	g_autofree char *name = gnut_www_file_name(path);
	if (name == NULL)
		return FALSE;
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) bytes = gnut_www_load(dir, name, &error);
	if (bytes == NULL) {
		g_debug("web UI: %s", error->message);
		return FALSE;
	}
	/* a body sent with a GET is read and dropped, never buffered */
	soup_message_body_set_accumulate(soup_server_message_get_request_body(msg), FALSE);
	set_headers(msg);
	soup_server_message_set_status(msg, SOUP_STATUS_OK, NULL);
	gsize len = 0;
	const char *data = g_bytes_get_data(bytes, &len);
	soup_server_message_set_response(msg, gnut_www_content_type(name), SOUP_MEMORY_COPY, data,
	                                 len);
	return TRUE;
}
