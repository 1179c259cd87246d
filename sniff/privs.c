/* privs: opening the -w file safely as root, then giving root up (tcpdump -Z). See privs.h. */
#include "sniff/privs.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/escape.h"

/* A name made from the command line and the clock, escaped all the same for stderr. */
static void name_error(char *err, size_t errlen, const char *what, const char *path,
                       const char *why)
{
    char clean[PATH_MAX * 4];
    escape_str(clean, sizeof clean, path);
    snprintf(err, errlen, "%s '%s': %s", what, clean, why);
}

FILE *privs_create_output(const char *path, char *err, size_t errlen)
{
    /* O_NONBLOCK: a FIFO planted under the name must not hang the capture in open(). */
    int fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0644);
    if (fd < 0) {
        name_error(err, errlen, "cannot create", path,
                   errno == ELOOP ? "it is a symbolic link (refused)" : strerror(errno));
        return NULL;
    }
    struct stat st;
    /* Truncated only once known to be a regular file (O_TRUNC on a device would act). */
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || ftruncate(fd, 0) != 0 ||
        fcntl(fd, F_SETFL, 0) != 0) {
        name_error(err, errlen, "cannot write", path, "not a regular file");
        close(fd);
        return NULL;
    }
    FILE *f = fdopen(fd, "wb");
    if (!f) {
        name_error(err, errlen, "cannot write", path, strerror(errno));
        close(fd);
    }
    return f;
}

static const struct passwd *default_user(void)
{
    const struct passwd *pw = getpwnam("smtpscope");
    return pw ? pw : getpwnam("nobody");
}

static int become(const struct passwd *pw, char *err, size_t errlen)
{
    if (initgroups(pw->pw_name, pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 ||
        setuid(pw->pw_uid) != 0) {
        snprintf(err, errlen, "cannot become user '%s': %s", pw->pw_name, strerror(errno));
        return -1;
    }
    /* Make sure there is no way back (a kernel or libc that kept the saved uid). */
    if (pw->pw_uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
        snprintf(err, errlen, "dropped to '%s' but could regain root: refusing to run",
                 pw->pw_name);
        return -1;
    }
    return 0;
}

int privs_hand_over(FILE *f, const char *user, char *err, size_t errlen)
{
    const struct passwd *pw = user ? getpwnam(user) : default_user();
    if (geteuid() != 0 || !pw || pw->pw_uid == 0)
        return 0; /* privs_drop will not change user (or will refuse the name) */
    /* fchown on the descriptor privs_create_output checked: no name is looked up again */
    if (fchown(fileno(f), pw->pw_uid, pw->pw_gid) != 0) {
        snprintf(err, errlen, "cannot give the -w file to user '%s': %s", pw->pw_name,
                 strerror(errno));
        return -1;
    }
    return 0;
}

int privs_drop(const char *user, char *err, size_t errlen)
{
    const struct passwd *pw = user ? getpwnam(user) : default_user();
    if (user && !pw) {
        snprintf(err, errlen, "-Z: no user '%s'", user);
        return -1;
    }
    if (geteuid() != 0) {
        if (pw && pw->pw_uid != geteuid() && user) {
            snprintf(err, errlen, "-Z %s: only root can change user", user);
            return -1;
        }
        return 0;
    }
    if (!pw || pw->pw_uid == 0)
        return 0; /* no unprivileged user here, or -Z root */
    return become(pw, err, errlen);
}
