/* metrics file: the exposition text written beside the file, synced and renamed over it, so
 * that node_exporter's textfile collector reads either the old file or the new one whole. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "metrics/metrics.h"

/* Writes s to fd and syncs it; closes fd either way. Returns 0 or -1 with errno. */
static int write_synced(int fd, const metrics_snapshot *s)
{
    FILE *f = fdopen(fd, "w");
    if (!f) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    int rc = metrics_write(f, s);
    if (fflush(f) != 0 || rc != 0 || fsync(fd) != 0) {
        int e = errno ? errno : EIO;
        fclose(f);
        errno = e;
        return -1;
    }
    return fclose(f) == 0 ? 0 : -1;
}

int metrics_file_write(const char *path, const metrics_snapshot *s, char *err, size_t errlen)
{
    char tmp[4096];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp) {
        snprintf(err, errlen, "metrics file name too long: %s", path);
        return -1;
    }
    /* O_NOFOLLOW: a link planted at the temporary name is not written through. */
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
    const char *step = "cannot create";
    if (fd >= 0) {
        errno = 0;
        step = "cannot write";
        if (write_synced(fd, s) == 0) {
            step = "cannot rename over";
            if (rename(tmp, path) == 0)
                return 0;
        }
    }
    int e = errno;
    snprintf(err, errlen, "%s the metrics file %s: %s", step, fd >= 0 ? path : tmp, strerror(e));
    if (fd >= 0)
        unlink(tmp);
    return -1;
}
