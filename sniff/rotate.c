/* rotate: the -w file and its rotation by time and size (tcpdump -G, -C, -W). See rotate.h. */
#include "sniff/rotate.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "base/escape.h"
#include "sniff/privs.h"

int rotate_active(const rotate_config *c)
{
    return c->seconds || c->size_limit;
}

unsigned rotate_width(unsigned files)
{
    unsigned w = 0;
    for (unsigned x = files ? files - 1 : 0; x; x /= 10)
        w++;
    return w;
}

static uint64_t size_unit(char suffix)
{
    switch (suffix) {
    case '\0':
        return 1000000; /* tcpdump's unit: millions of bytes, not MiB */
    case 'k':
    case 'K':
        return 1024;
    case 'm':
    case 'M':
        return 1024 * 1024;
    case 'g':
    case 'G':
        return 1024 * 1024 * 1024;
    default:
        return 0;
    }
}

int rotate_parse_size(const char *arg, uint64_t *bytes)
{
    char *end;
    if (*arg < '0' || *arg > '9')
        return -1; /* strtoull would take a sign or spaces */
    errno = 0;
    unsigned long long v = strtoull(arg, &end, 10);
    uint64_t unit = size_unit(*end);
    if (errno || v == 0 || !unit || (*end && end[1]) || v > INT64_MAX / unit)
        return -1;
    *bytes = (uint64_t)v * unit;
    return 0;
}

void rotate_start(rotate_state *s, time_t now)
{
    *s = (rotate_state){.since = now};
}

rotate_step rotate_next(const rotate_config *c, rotate_state *s, time_t now, uint64_t size)
{
    /* Time first, as tcpdump: the new file is empty, so no size check follows it. */
    if (c->seconds && now - s->since >= (time_t)c->seconds) {
        s->since = now;
        s->periods++;
        s->number = 0;
        if (!c->size_limit && c->files && s->periods >= c->files)
            return ROTATE_LIMIT;
        return ROTATE_NEW;
    }
    if (c->size_limit && size > c->size_limit) {
        s->number++;
        if (c->files && s->number >= c->files)
            s->number = 0; /* the ring starts over */
        return ROTATE_NEW;
    }
    return ROTATE_KEEP;
}

/* The pattern through strftime with -G (local time, as tcpdump), else as given. */
static int base_name(const rotate_config *c, const rotate_state *s, char *out, size_t cap)
{
    if (!c->seconds) {
        size_t n = strlen(c->pattern);
        if (n >= cap)
            return -1;
        memcpy(out, c->pattern, n + 1);
        return 0;
    }
    struct tm tm;
    if (!localtime_r(&s->since, &tm))
        return -1;
    /* strftime returns 0 when the result does not fit (the pattern is never empty here) */
    return strftime(out, cap, c->pattern, &tm) ? 0 : -1;
}

int rotate_name(const rotate_config *c, const rotate_state *s, char *out, size_t cap)
{
    if (!c->pattern[0] || base_name(c, s, out, cap) < 0 || !out[0])
        return -1;
    /* Numbered only with -C: FILE for the first file without -W, FILE0 with it. */
    unsigned width = c->size_limit ? rotate_width(c->files) : 0;
    if (!c->size_limit || (s->number == 0 && width == 0))
        return 0;
    size_t len = strlen(out);
    int n = snprintf(out + len, cap - len, "%0*u", (int)width, s->number);
    return n < 0 || (size_t)n >= cap - len ? -1 : 0;
}

/* ---- the files ---- */

struct rotator {
    rotate_config cfg;
    rotate_state state;
    pcap_t *pcap;
    pcap_dumper_t *dump;
    uint64_t first_frame; /* of the current file */
    int done;             /* -G -W: the last file is written */
    rotate_file_fn on_file;
    void *on_file_ctx;
    char name[PATH_MAX];
    char error[PATH_MAX * 4 + 160];
};

rotator *rotator_new(const rotate_config *c, time_t start, pcap_t *pcap, FILE *first, char *err,
                     size_t errlen)
{
    rotator *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(err, errlen, "out of memory");
        fclose(first);
        return NULL;
    }
    r->cfg = *c;
    r->pcap = pcap;
    r->first_frame = 1;
    rotate_start(&r->state, start);
    int named = rotate_name(&r->cfg, &r->state, r->name, sizeof r->name) == 0;
    r->dump = named ? pcap_dump_fopen(pcap, first) : NULL;
    if (!r->dump) {
        snprintf(err, errlen, "cannot write the packet file: %s",
                 named ? pcap_geterr(pcap) : "its name is empty or too long");
        fclose(first);
        free(r);
        return NULL;
    }
    return r;
}

static int fail_name(rotator *r, const char *why)
{
    char clean[sizeof r->name * 4];
    escape_str(clean, sizeof clean, r->cfg.pattern);
    snprintf(r->error, sizeof r->error, "-w '%s': %s", clean, why);
    return -1;
}

/* Closes the current file and opens the one rotate_next has just named. */
static int begin_file(rotator *r, uint64_t frame)
{
    pcap_dump_close(r->dump);
    r->dump = NULL;
    if (rotate_name(&r->cfg, &r->state, r->name, sizeof r->name) < 0)
        return fail_name(r, "the next file name is empty or too long");
    FILE *f = privs_create_output(r->name, r->error, sizeof r->error);
    if (!f)
        return -1;
    if (!(r->dump = pcap_dump_fopen(r->pcap, f))) {
        fclose(f);
        return fail_name(r, "cannot write the next file");
    }
    r->first_frame = frame;
    if (r->on_file)
        r->on_file(r->on_file_ctx, r->name, frame);
    return 0;
}

int rotator_write(rotator *r, uint64_t frame, const struct pcap_pkthdr *h, const u_char *bytes,
                  time_t now)
{
    if (r->done)
        return 1;
    if (!r->dump)
        return -1; /* a rotation failed before: nothing more is written */
    int64_t size = r->cfg.size_limit ? pcap_dump_ftell64(r->dump) : 0;
    if (size < 0)
        return fail_name(r, "cannot tell the file's size");
    rotate_step step = rotate_next(&r->cfg, &r->state, now, (uint64_t)size);
    if (step == ROTATE_LIMIT) {
        pcap_dump_close(r->dump);
        r->dump = NULL;
        r->done = 1;
        return 1;
    }
    if (step == ROTATE_NEW && begin_file(r, frame) < 0)
        return -1;
    pcap_dump((u_char *)r->dump, h, bytes);
    return 0;
}

void rotator_on_file(rotator *r, rotate_file_fn fn, void *ctx)
{
    r->on_file = fn;
    r->on_file_ctx = ctx;
    if (fn && r->dump)
        fn(ctx, r->name, r->first_frame);
}

const char *rotator_error(const rotator *r)
{
    return r->error;
}

void rotator_close(rotator *r)
{
    if (!r)
        return;
    if (r->dump)
        pcap_dump_close(r->dump);
    free(r);
}
