/* sd-notify.c: the systemd notification datagram (see sd-notify.h). The
 * socket name is a path, or starts with '@' for the abstract namespace. */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "sd-notify.h"

/* Fills addr from $NOTIFY_SOCKET; the address length, or 0 if unusable. */
static socklen_t notify_address(const char *name, struct sockaddr_un *addr)
{
	gsize len = strlen(name);
	if ((name[0] != '/' && name[0] != '@') || len < 2 || len >= sizeof addr->sun_path)
		return 0;
	memset(addr, 0, sizeof *addr);
	addr->sun_family = AF_UNIX;
	memcpy(addr->sun_path, name, len);
	if (name[0] == '@')
		addr->sun_path[0] = '\0';
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + (name[0] == '/'));
}

gboolean gnut_sd_notify(const char *state)
{
	static gboolean warned;
	const char *name = g_getenv("NOTIFY_SOCKET");
	if (name == NULL || *name == '\0')
		return FALSE;
	struct sockaddr_un addr;
	socklen_t addr_len = notify_address(name, &addr);
	int fd = addr_len ? socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0) : -1;
	ssize_t sent = -1;
	int err = addr_len ? 0 : EINVAL;
	if (fd >= 0) {
		sent = sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&addr,
		              addr_len);
		err = errno;
		close(fd);
	} else if (addr_len) {
		err = errno;
	}
	if (sent < 0 && !warned) {
		warned = TRUE;
		g_warning("cannot notify systemd through %s: %s", name, g_strerror(err));
	}
	return sent >= 0;
}

guint64 gnut_sd_watchdog_usec(void)
{
	const char *usec = g_getenv("WATCHDOG_USEC");
	const char *pid = g_getenv("WATCHDOG_PID");
	if (usec == NULL)
		return 0;
	if (pid != NULL && g_ascii_strtoll(pid, NULL, 10) != (gint64)getpid())
		return 0;
	return g_ascii_strtoull(usec, NULL, 10);
}
