/* SPDX-License-Identifier: Apache-2.0 */
/* export_receive.c: an export received from a server (the client's `pivault export -o
 * FILE`) written to a new file under pv_export_file's rules (masked values only, never
 * over anything), and atomically: into a temporary file beside FILE (0600), synced, then
 * given FILE's name only when the whole export arrived; a failure leaves nothing behind. */
#include "files.h"
#include "vault.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct pv_export_sink {
	int fd;
	char *path, *temp;
};

/* Why path cannot be the export's file (its message set), or PV_OK. */
static pv_rc refused(int want_clear, const char *path)
{
	if (!path || !*path)
		return pv_fail(NULL, PV_ERR_USAGE, "no file named");
	if (want_clear)
		return pv_fail(NULL, PV_ERR_USAGE, "clear values go to standard output only, never "
			       "straight to a file (an export in clear cannot be written to %s)",
			       path);
	if (access(path, F_OK) == 0 || errno != ENOENT)
		return pv_fail(NULL, PV_ERR_EXISTS, "cannot create %s: something is there already "
			       "(pivault writes only new files, never over a file or through a "
			       "link)", path);
	return PV_OK;
}

pv_rc pv_export_sink_open(int want_clear, const char *path, pv_export_sink **out)
{
	*out = NULL;
	pv_rc rc = refused(want_clear, path);
	if (rc)
		return rc;
	pv_export_sink *s = calloc(1, sizeof *s);
	size_t n = strlen(path) + sizeof ".partial-XXXXXX";
	if (!s || !(s->path = strdup(path)) || !(s->temp = malloc(n))) {
		pv_export_sink_discard(s);
		return pv_fail(NULL, PV_ERR_NOMEM, "out of memory");
	}
	snprintf(s->temp, n, "%s.partial-XXXXXX", path);
	if ((s->fd = mkstemp(s->temp)) < 0 || fcntl(s->fd, F_SETFD, FD_CLOEXEC) != 0) {
		rc = pv_fail(NULL, PV_ERR_IO, "cannot create a file beside %s: %s", path,
			     strerror(errno));
		free(s->temp);
		s->temp = NULL;
		pv_export_sink_discard(s);
		return rc;
	}
	*out = s;
	return pv_ok(NULL);
}

pv_rc pv_export_sink_write(pv_export_sink *s, const void *data, size_t n)
{
	if (pv_file_write_all(s->fd, data, n) != 0)
		return pv_fail(NULL, PV_ERR_IO, "cannot write the export to %s: %s", s->path,
			       strerror(errno));
	return PV_OK;
}

void pv_export_sink_discard(pv_export_sink *s)
{
	if (!s)
		return;
	if (s->temp) {
		if (s->fd >= 0)
			close(s->fd);
		unlink(s->temp);
	}
	free(s->temp);
	free(s->path);
	free(s);
}

pv_rc pv_export_sink_commit(pv_export_sink *s)
{
	pv_rc rc = PV_OK;
	if (fsync(s->fd) != 0 || close(s->fd) != 0)
		rc = pv_fail(NULL, PV_ERR_IO, "cannot write the export to %s: %s", s->path,
			     strerror(errno));
	s->fd = -1;
	/* link, not rename: something that appeared at path meanwhile is never replaced */
	if (!rc && link(s->temp, s->path) != 0)
		rc = errno == EEXIST ? refused(0, s->path)
				     : pv_fail(NULL, PV_ERR_IO, "cannot create %s: %s", s->path,
					       strerror(errno));
	if (!rc && pv_file_sync_dir(s->path) != 0) {
		rc = pv_fail(NULL, PV_ERR_IO, "cannot sync the directory of %s: %s", s->path,
			     strerror(errno));
		unlink(s->path); /* nothing left that might not survive a power loss */
	}
	pv_export_sink_discard(s);
	return rc ? rc : pv_ok(NULL);
}
