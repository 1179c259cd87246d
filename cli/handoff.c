/* handoff: --extract in a run (one process or the parent of --workers). See handoff.h. */
#include "cli/handoff.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pop3/pop3.h"
#include "sniff/extract.h"
#include "sniff/privs.h"

struct handoff {
    const options *opt;
    FILE *in, *out; /* the capture to read again (NULL until known), the extract */
    extract_session *s;
    size_t n, cap;
    unsigned char *range_found; /* per --session range: a session of it was seen */
};

/* An extract that is the capture itself would be truncated before it is read again. */
static int same_file(FILE *capture, const char *path)
{
    struct stat sa, sb;
    return fstat(fileno(capture), &sa) == 0 && stat(path, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

static const char same_file_error[] = "--extract names the capture file itself: give another file";

static FILE *open_to_read(const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    FILE *f = fd < 0 ? NULL : fdopen(fd, "rb");
    if (!f) {
        snprintf(err, errlen, "--extract: cannot open '%s' to read it again: %s", path,
                 strerror(errno));
        if (fd >= 0)
            close(fd);
    }
    return f;
}

int handoff_read_later(handoff *h, const char *path, char *err, size_t errlen)
{
    if (!(h->in = open_to_read(path, err, errlen)))
        return -1;
    if (same_file(h->in, h->opt->extract)) {
        snprintf(err, errlen, "%s", same_file_error);
        return -1;
    }
    return 0;
}

handoff *handoff_open(const options *o, char *err, size_t errlen)
{
    handoff *h = calloc(1, sizeof *h);
    if (!h || (o->nsessions && !(h->range_found = calloc(o->nsessions, 1)))) {
        snprintf(err, errlen, "out of memory");
        free(h);
        return NULL;
    }
    h->opt = o;
    /* the capture first: an extract named like it must not truncate it before the check */
    if (o->file && !(h->in = open_to_read(o->file, err, errlen)))
        return handoff_free(h), NULL;
    if (h->in && same_file(h->in, o->extract))
        return snprintf(err, errlen, "%s", same_file_error), handoff_free(h), NULL;
    if (!(h->out = privs_create_output(o->extract, err, errlen)))
        return handoff_free(h), NULL;
    return h;
}

static int flagged(const flow_report *f)
{
    if (f->proto == PROTO_SMTP)
        return ((const smtp_report *)f->report)->flags != 0;
    if (f->proto == PROTO_POP3)
        return ((const pop3_report *)f->report)->flags != 0;
    return 0;
}

static int chosen(handoff *h, const flow_report *f)
{
    int yes = 0;
    if (!h->opt->nsessions)
        return flagged(f);
    for (size_t i = 0; i < h->opt->nsessions; i++)
        if (f->id >= h->opt->sessions[i].lo && f->id <= h->opt->sessions[i].hi)
            yes = h->range_found[i] = 1;
    return yes;
}

void handoff_session(handoff *h, const flow_report *f)
{
    extract_session s = {.id = f->id, .first = f->first_frame, .last = f->last_frame};
    if (!chosen(h, f) || !f->first_frame || extract_parse_endpoint(f->client, &s.client) < 0 ||
        extract_parse_endpoint(f->server, &s.server) < 0)
        return;
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 16;
        extract_session *grown = realloc(h->s, cap * sizeof *grown);
        if (!grown) {
            fprintf(stderr, "smtpscope: --extract: out of memory, session %" PRIu64 " left out\n",
                    f->id);
            return;
        }
        h->s = grown;
        h->cap = cap;
    }
    h->s[h->n++] = s;
}

static int by_id(const void *a, const void *b)
{
    uint64_t x = ((const extract_session *)a)->id, y = ((const extract_session *)b)->id;
    return x < y ? -1 : x > y;
}

static void say_missing(const handoff *h)
{
    for (size_t i = 0; i < h->opt->nsessions; i++) {
        const struct session_range *r = &h->opt->sessions[i];
        if (h->range_found[i])
            continue;
        if (r->lo == r->hi)
            fprintf(stderr, "smtpscope: --session: the report has no session %" PRIu64 "\n", r->lo);
        else
            fprintf(stderr,
                    "smtpscope: --session: the report has no session in %" PRIu64 "-%" PRIu64 "\n",
                    r->lo, r->hi);
    }
}

int handoff_finish(handoff *h, report *rep)
{
    char err[512];
    qsort(h->s, h->n, sizeof *h->s, by_id); /* sessions end out of their numbers' order */
    say_missing(h);
    int64_t written = extract_write(h->in, h->out, h->s, h->n, err, sizeof err);
    h->in = h->out = NULL; /* extract_write closed them */
    if (written < 0) {
        fprintf(stderr, "smtpscope: --extract %s: %s\n", h->opt->extract, err);
        return -1;
    }
    report_extract(rep, h->opt->extract, h->s, h->n, (uint64_t)written);
    return 0;
}

void handoff_free(handoff *h)
{
    if (!h)
        return;
    if (h->in)
        fclose(h->in);
    if (h->out)
        fclose(h->out);
    extract_free_runs(h->s, h->n);
    free(h->s);
    free(h->range_found);
    free(h);
}
