/* fastread: a plain classic pcap file read in large blocks and handed out in place, instead of
 * through libpcap's two fread calls and copy per record (with stdio under them). libpcap has
 * opened the same file and judged its header; this reader takes the records only while each
 * is one libpcap would hand out unchanged, and gives up at the first it would not (cut short,
 * longer than the snapshot length, a read error): libpcap then takes the file from that record
 * and deals with it, in its own words. See internal.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sniff/internal.h"

#define FAST_BUF (1u << 20) /* more than any record: the snapshot length is at most 256 KB */
/* Read at a time: the block is read again from the start of the buffer each time, so its cache
 * lines stay warm (1 MB of them would each come cold) */
#define FAST_READ (128u << 10)
#define FILE_HEADER 24
#define RECORD_HEADER 16

enum { MAGIC_USEC = 0xa1b2c3d4u, MAGIC_NSEC = 0xa1b23c4du };

struct sniff_fast {
    int fd;       /* the stream's (not ours to close): read with pread, its offset left alone */
    off_t origin; /* where in fd the stream, and its offset 0, starts */
    int swapped, nsec;
    uint32_t snapshot;
    uint8_t *buf;
    size_t pos, len; /* buf[pos..len) read, not handed out */
    uint64_t base;   /* the stream offset of buf[0] */
    int eof, failed; /* the file ended; a read failed (libpcap's to report) */
    struct pcap_pkthdr hdr;
};

static uint32_t get32(const uint8_t *p, int swapped)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return swapped ? __builtin_bswap32(v) : v;
}

static uint16_t get16(const uint8_t *p, int swapped)
{
    uint16_t v;
    memcpy(&v, p, sizeof v);
    return swapped ? __builtin_bswap16(v) : v;
}

/* At least need bytes from pos on: 1, or 0 when the file ends (or fails) before. */
static int have(sniff_fast *f, size_t need)
{
    if (f->len - f->pos >= need)
        return 1;
    memmove(f->buf, f->buf + f->pos, f->len - f->pos);
    f->base += f->pos;
    f->len -= f->pos;
    f->pos = 0;
    while (f->len < need && !f->eof) {
        size_t room = FAST_BUF - f->len;
        if (need <= FAST_READ && room > FAST_READ)
            room = FAST_READ;
        ssize_t r = pread(f->fd, f->buf + f->len, room, f->origin + (off_t)(f->base + f->len));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            f->failed = r < 0;
            f->eof = 1;
        } else
            f->len += (size_t)r;
    }
    return f->len >= need;
}

/* The file's header as libpcap read it: classic pcap 2.4, microseconds or nanoseconds, either
 * byte order, and nothing libpcap would treat otherwise. */
static int header_agrees(sniff_fast *f, pcap_t *p)
{
    const uint8_t *h = f->buf;
    uint32_t magic = get32(h, 0);
    f->swapped = magic != MAGIC_USEC && magic != MAGIC_NSEC;
    magic = get32(h, f->swapped);
    f->nsec = magic == MAGIC_NSEC;
    int snap = pcap_snapshot(p);
    f->snapshot = snap > 0 ? (uint32_t)snap : 0;
    return (magic == MAGIC_USEC || magic == MAGIC_NSEC) && get16(h + 4, f->swapped) == 2 &&
           get16(h + 6, f->swapped) == 4 && pcap_major_version(p) == 2 &&
           pcap_minor_version(p) == 4 && pcap_is_swapped(p) == f->swapped &&
           pcap_get_tstamp_precision(p) == PCAP_TSTAMP_PRECISION_MICRO && f->snapshot > 0;
}

sniff_fast *fast_open(int fd, off_t origin, pcap_t *p)
{
    struct stat st;
    sniff_fast *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->fd = fd;
    f->origin = origin;
    f->buf = malloc(FAST_BUF);
    if (!f->buf || fstat(f->fd, &st) != 0 || !S_ISREG(st.st_mode) || !have(f, FILE_HEADER) ||
        !header_agrees(f, p)) {
        fast_close(f);
        return NULL;
    }
    f->pos = FILE_HEADER;
    return f;
}

int fast_next(sniff_fast *f, struct pcap_pkthdr **hdr, const u_char **bytes)
{
    if (!have(f, RECORD_HEADER))
        return f->len == f->pos && !f->failed ? 0 : -1; /* a header cut short: libpcap's */
    const uint8_t *r = f->buf + f->pos;
    uint32_t caplen = get32(r + 8, f->swapped);
    if (caplen > f->snapshot || !have(f, RECORD_HEADER + (size_t)caplen))
        return -1;
    r = f->buf + f->pos; /* have() may have moved it */
    /* as libpcap 1.10 reads them: signed 32-bit in the machine's byte order, unsigned when
     * swapped (its SWAPLONG); nanoseconds scaled down */
    uint32_t sec = get32(r, f->swapped), frac = get32(r + 4, f->swapped);
    f->hdr.ts.tv_sec = f->swapped ? (time_t)sec : (time_t)(int32_t)sec;
    f->hdr.ts.tv_usec = f->swapped ? (suseconds_t)frac : (suseconds_t)(int32_t)frac;
    if (f->nsec)
        f->hdr.ts.tv_usec /= 1000;
    f->hdr.caplen = caplen;
    f->hdr.len = get32(r + 12, f->swapped);
    *hdr = &f->hdr;
    *bytes = r + RECORD_HEADER;
    f->pos += RECORD_HEADER + caplen;
    return 1;
}

uint64_t fast_offset(const sniff_fast *f)
{
    return f->base + f->pos;
}

void fast_close(sniff_fast *f)
{
    if (!f)
        return;
    free(f->buf);
    free(f);
}
