/* privs: what smtpscope does with root. It opens the capture and its output file as root,
 * then runs as an unprivileged user, as tcpdump -Z does, so that a parser bug fed hostile
 * packets cannot be turned into root. */
#ifndef SMTPSCOPE_SNIFF_PRIVS_H
#define SMTPSCOPE_SNIFF_PRIVS_H

#include <stddef.h>
#include <stdio.h>

/* Creates (or truncates) a file to write, refusing a symlink or anything but a regular file
 * in the last component (a link planted in /tmp must not make root overwrite its target).
 * NULL with a message in err. */
FILE *privs_create_output(const char *path, char *err, size_t errlen);

/* When running as root and about to become user (as privs_drop would), makes that user the
 * owner of f, a file from privs_create_output: a rotation (-C -W) writes it again after root
 * is given up. 0 without change otherwise; -1 with a message in err. */
int privs_hand_over(FILE *f, const char *user, char *err, size_t errlen);

/* Becomes user (its uid, gid and groups) when running as root; user NULL: "smtpscope" if it
 * exists, else "nobody", else stays root. "root" keeps root. Returns 0, or -1 with a
 * message in err (unknown user, or the switch failed). Not root: 0 without change unless a
 * user was named, which is then an error unless it is the current one. */
int privs_drop(const char *user, char *err, size_t errlen);

#endif
