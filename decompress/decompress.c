/* decompress: a FILE * over a compressed capture, decoded in bounded buffers. See
 * decompress.h. */
#define _GNU_SOURCE /* fopencookie */
#include "decompress/decompress.h"

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "decompress/internal.h"

/* Compressed bytes read from the file at a time: memory stays this, whatever the file's size. */
#define DC_INBUF (64 * 1024)
/* The longest magic in the table. */
#define DC_PEEK 6

struct decompress {
    int fd;
    const dc_format *fmt; /* NULL: plain bytes given back after the peek */
    void *state;
    uint8_t peeked[DC_PEEK]; /* plain: the bytes looked at first, given back first */
    off_t origin;            /* plain: where in fd the stream starts; -1 when fd cannot seek */
    size_t pos, len;         /* in[pos..len) (peeked[pos..len) when plain) not yet consumed */
    uint64_t in_off;         /* compressed bytes consumed */
    uint64_t out_off;        /* decompressed bytes given out */
    int eof, done;           /* the file ended; the compressed data ended whole */
    int stalls;              /* calls in a row that moved nothing */
    char error[256];         /* set once a read failed: later reads fail too */
    /* compressed: read, not yet decoded; plain: the stream's own buffer (a 64 KB read instead
     * of stdio's 4 KB: each read is a system call, and --workers reads the file N times).
     * Last and not cleared: its pages cost memory only once bytes land in them (hundreds of
     * files are open at once when several are read as one). */
    uint8_t in[DC_INBUF];
};

const char *decompress_detect(const uint8_t *head, size_t len)
{
    for (size_t i = 0; i < dc_format_count; i++) {
        const dc_format *f = &dc_formats[i];
        if (len >= f->magic_len && memcmp(head, f->magic, f->magic_len) == 0)
            return f->name;
    }
    return NULL;
}

static const dc_format *format_named(const char *name)
{
    for (size_t i = 0; name && i < dc_format_count; i++)
        if (strcmp(dc_formats[i].name, name) == 0)
            return &dc_formats[i];
    return NULL;
}

/* The first bytes, up to DC_PEEK, fewer only at the end of the file. */
static ssize_t peek(int fd, uint8_t *head)
{
    size_t n = 0;
    while (n < DC_PEEK) {
        ssize_t r = read(fd, head + n, DC_PEEK - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0)
            break;
        n += (size_t)r;
    }
    return (ssize_t)n;
}

static void fail(decompress *d, const char *what, const char *why)
{
    snprintf(d->error, sizeof d->error,
             "%s data %s at compressed byte %" PRIu64 ", decompressed byte %" PRIu64 " (%s)",
             d->fmt->name, what, d->in_off, d->out_off, why);
}

static void read_failed(decompress *d, int err)
{
    snprintf(d->error, sizeof d->error, "reading %s data failed at compressed byte %" PRIu64 ": %s",
             d->fmt->name, d->in_off + (d->len - d->pos), strerror(err));
}

/* One read(2), not fread: on a pipe it returns what is there, so a capture streamed into the
 * pipe is analysed as it comes rather than a buffer at a time. 0, or -1 with errno (EINTR, as
 * a plain read through stdio would, goes back to the caller: no error recorded). */
static int refill(decompress *d)
{
    ssize_t r = read(d->fd, d->in, sizeof d->in);
    if (r < 0) {
        if (errno != EINTR)
            read_failed(d, errno);
        return -1;
    }
    d->pos = 0;
    d->len = (size_t)r;
    d->eof = r == 0;
    return 0;
}

/* Runs the decoder once over what is buffered; 1 go on, 0 the end, -1 failed. */
static int decode_step(decompress *d, uint8_t *out, size_t room, size_t *made)
{
    const char *why = "invalid data";
    dc_buf b = {d->in + d->pos, d->len - d->pos, out, room, d->eof && d->pos == d->len};
    dc_status st = d->fmt->read(d->state, &b, &why);
    size_t used = (size_t)(b.in - (d->in + d->pos));
    *made = (size_t)(b.out - out);
    d->pos += used, d->in_off += used, d->out_off += *made;
    d->stalls = used || *made ? 0 : d->stalls + 1;
    if (st == DC_GO && d->stalls > 2) /* a decoder that neither reads nor writes */
        st = b.finish ? DC_CUT : DC_BAD, why = "the decoder makes no progress";
    if (st == DC_DONE)
        d->done = 1;
    else if (st == DC_CUT)
        fail(d, "truncated", "the file ends inside the compressed stream");
    else if (st == DC_BAD)
        fail(d, "damaged", why);
    return st == DC_GO ? 1 : st == DC_DONE ? 0 : -1;
}

/* Fills buf as far as the buffered input goes; reads the file again only while nothing is
 * made yet, so a read never waits on a pipe while it holds bytes to give. */
static ssize_t decode(decompress *d, uint8_t *buf, size_t size)
{
    size_t got = 0;
    while (got < size && !d->done && !d->error[0]) {
        if (d->pos == d->len && !d->eof) {
            if (got > 0)
                break;
            if (refill(d) < 0)
                return -1;
            continue;
        }
        size_t made = 0;
        decode_step(d, buf + got, size - got, &made);
        got += made;
    }
    if (got == 0 && d->error[0]) {
        errno = EIO;
        return -1;
    }
    return (ssize_t)got;
}

/* Plain bytes: those looked at first, then the file's. */
static ssize_t pass_through(decompress *d, uint8_t *buf, size_t size)
{
    if (d->pos < d->len) {
        size_t n = d->len - d->pos < size ? d->len - d->pos : size;
        memcpy(buf, d->peeked + d->pos, n);
        d->pos += n;
        return (ssize_t)n;
    }
    return read(d->fd, buf, size);
}

static ssize_t cookie_read(void *cookie, char *buf, size_t size)
{
    decompress *d = cookie;
    if (d->error[0]) {
        errno = EIO;
        return -1;
    }
    if (!d->fmt)
        return pass_through(d, (uint8_t *)buf, size);
    return decode(d, (uint8_t *)buf, size);
}

/* Plain bytes where fd can seek: the stream can be moved (libpcap taking over from the fast
 * reader, sniff/fastread.c, at the record it left). */
static off64_t plain_position(decompress *d)
{
    if (d->pos < d->len)
        return (off64_t)d->pos;
    off_t at = lseek(d->fd, 0, SEEK_CUR);
    return at < 0 ? -1 : at - d->origin;
}

static int cookie_seek(void *cookie, off64_t *offset, int whence)
{
    decompress *d = cookie;
    off64_t at = *offset;
    if (d->fmt || d->origin < 0) {
        errno = ESPIPE;
        return -1;
    }
    if (whence == SEEK_CUR) {
        off64_t here = plain_position(d);
        at = here < 0 ? -1 : here + at;
    } else if (whence == SEEK_END) {
        off_t end = lseek(d->fd, 0, SEEK_END);
        at = end < 0 ? -1 : end - d->origin + at;
    }
    if (at < 0) {
        errno = EINVAL;
        return -1;
    }
    int inside = (uint64_t)at < d->len; /* still among the bytes looked at first */
    if (lseek(d->fd, d->origin + (inside ? (off64_t)d->len : at), SEEK_SET) < 0)
        return -1;
    d->pos = inside ? (size_t)at : d->len;
    *offset = at;
    return 0;
}

static int cookie_close(void *cookie)
{
    decompress *d = cookie;
    int rc = d->fd != STDIN_FILENO ? close(d->fd) : 0;
    if (d->fmt)
        d->fmt->end(d->state);
    free(d);
    return rc;
}

static FILE *open_cookie(int fd, const uint8_t *head, size_t n, const dc_format *fmt,
                         decompress **dc, char *err, size_t errlen)
{
    decompress *d = malloc(sizeof *d);
    if (d)
        memset(d, 0, offsetof(decompress, in));
    if (d && fmt && !(d->state = fmt->init())) {
        free(d);
        d = NULL;
    }
    if (!d) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    d->fd = fd;
    d->fmt = fmt;
    memcpy(fmt ? d->in : d->peeked, head, n);
    d->len = n;
    off_t now = fmt ? -1 : lseek(fd, 0, SEEK_CUR);
    d->origin = now < 0 ? -1 : now - (off_t)n;
    cookie_io_functions_t io = {.read = cookie_read, .seek = cookie_seek, .close = cookie_close};
    FILE *f = fopencookie(d, "rb", io);
    if (f && !fmt) /* the buffer is d's: fclose leaves a caller's buffer alone, then frees d */
        setvbuf(f, (char *)d->in, _IOFBF, sizeof d->in);
    if (!f) {
        snprintf(err, errlen, "%s", strerror(errno));
        if (fmt)
            fmt->end(d->state);
        free(d);
        return NULL;
    }
    *dc = d;
    return f;
}

FILE *decompress_open(int fd, decompress **dc, char *err, size_t errlen)
{
    uint8_t head[DC_PEEK];
    *dc = NULL;
    err[0] = '\0';
    ssize_t n = peek(fd, head);
    if (n < 0) {
        snprintf(err, errlen, "%s", strerror(errno));
        return NULL;
    }
    const dc_format *fmt = format_named(decompress_detect(head, (size_t)n));
    return open_cookie(fd, head, (size_t)n, fmt, dc, err, errlen);
}

const char *decompress_format(const decompress *dc)
{
    return dc && dc->fmt ? dc->fmt->name : NULL;
}

int decompress_plain_file(const decompress *dc, off_t *origin)
{
    if (!dc || dc->fmt || dc->origin < 0)
        return -1;
    *origin = dc->origin;
    return dc->fd;
}

uint64_t decompress_consumed(const decompress *dc)
{
    return dc ? dc->in_off : 0;
}

const char *decompress_error(const decompress *dc)
{
    return dc && dc->error[0] ? dc->error : NULL;
}
