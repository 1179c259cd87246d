/* ip6frag: IPv6 fragment reassembly (RFC 8200 section 4.5) for ip6.c.
 *
 * A few datagrams at a time: TCP avoids fragmentation, so fragmented TCP over IPv6 is rare
 * and comes one datagram at a time (a tunnel, a middlebox). Each slot owns one 64 KiB buffer,
 * allocated the first time the slot is used and kept until ip6_frag_exit, and a bitmap of the
 * 8-byte blocks received. Overlapping fragments drop the whole datagram (RFC 5722); an exact
 * duplicate is ignored. */
#include "reassembly/ip6.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/pkt.h"

#define SLOTS 16
#define TIMEOUT_SEC 60 /* RFC 8200: give up 60 s after the first fragment */
#define MAX_DATA 65535 /* the fragmentable part fits the 16-bit payload length */
#define BLOCKS ((MAX_DATA + 7) / 8)

typedef struct slot {
    int used;
    uint8_t src[16], dst[16];
    uint32_t id;
    struct timeval first;
    int have_first, have_last;
    uint8_t nh;     /* next header from the fragment at offset 0 */
    uint32_t total; /* length of the fragmentable part, once the last fragment came */
    uint32_t got;   /* bytes received */
    uint32_t reach; /* end of the furthest fragment received */
    uint8_t *buf;
    uint8_t map[(BLOCKS + 7) / 8];
} slot;

static slot frag_slots[SLOTS];

void ip6_frag_exit(void)
{
    for (int i = 0; i < SLOTS; i++) {
        free(frag_slots[i].buf);
        memset(&frag_slots[i], 0, sizeof frag_slots[i]);
    }
}

static int expired(const slot *s, struct timeval now)
{
    return now.tv_sec - s->first.tv_sec > TIMEOUT_SEC;
}

static void start(slot *s, const uint8_t *src, const uint8_t *dst, uint32_t id, struct timeval ts)
{
    uint8_t *buf = s->buf;

    memset(s, 0, sizeof *s);
    s->buf = buf != NULL ? buf : malloc(MAX_DATA);
    if (s->buf == NULL) {
        fprintf(stderr, "smtpscope: out of memory for IPv6 fragments\n");
        exit(2);
    }
    s->used = 1;
    memcpy(s->src, src, 16);
    memcpy(s->dst, dst, 16);
    s->id = id;
    s->first = ts;
}

/* The slot of this datagram, a free one, or the oldest one given up for it. Expired slots
 * are freed on the way: a bounded scan, as SLOTS is small. */
static slot *find_slot(const uint8_t *src, const uint8_t *dst, uint32_t id, struct timeval ts)
{
    slot *free_slot = NULL, *oldest = NULL;

    for (int i = 0; i < SLOTS; i++) {
        slot *s = &frag_slots[i];
        if (s->used && expired(s, ts))
            s->used = 0;
        if (!s->used) {
            free_slot = free_slot != NULL ? free_slot : s;
            continue;
        }
        if (s->id == id && memcmp(s->src, src, 16) == 0 && memcmp(s->dst, dst, 16) == 0)
            return s;
        if (oldest == NULL || timercmp(&s->first, &oldest->first, <))
            oldest = s;
    }
    slot *s = free_slot != NULL ? free_slot : oldest;
    start(s, src, dst, id, ts);
    return s;
}

static int block_set(const slot *s, uint32_t b)
{
    return (s->map[b / 8] >> (b % 8)) & 1;
}

/* 1: the blocks were all new; 0: an exact duplicate; -1: an overlap with other bytes. */
static int check_overlap(const slot *s, uint32_t off, const uint8_t *data, uint32_t len)
{
    uint32_t b, end = (off + len + 7) / 8, seen = 0;

    for (b = off / 8; b < end; b++)
        seen += (uint32_t)block_set(s, b);
    if (seen == 0)
        return 1;
    if (seen == end - off / 8 && memcmp(s->buf + off, data, len) == 0)
        return 0;
    return -1;
}

static void store(slot *s, uint32_t off, const uint8_t *data, uint32_t len)
{
    memcpy(s->buf + off, data, len);
    for (uint32_t b = off / 8; b < (off + len + 7) / 8; b++)
        s->map[b / 8] |= (uint8_t)(1u << (b % 8));
    s->got += len;
    if (off + len > s->reach)
        s->reach = off + len;
}

/* Records where the datagram starts or ends; 0, or -1 when fragments disagree on its end. */
static int note_edges(slot *s, uint8_t nh, uint32_t off, uint32_t len, int more)
{
    if (off == 0) {
        s->have_first = 1;
        s->nh = nh;
    }
    if (!more) {
        if (s->have_last && s->total != off + len)
            return -1;
        s->have_last = 1;
        s->total = off + len;
    }
    return s->have_last && s->reach > s->total ? -1 : 0;
}

frag_result ip6_frag_add(const net_packet *p, struct timeval ts, ip6_datagram *d)
{
    pkt_view ip = pkt_view_of(p->ip, p->caplen), fh = pkt_sub(&ip, p->frag_off, 8);
    size_t end = 40 + (size_t)pkt_be16(&ip, 4), hdr_end = p->frag_off + 8u;
    uint32_t off = pkt_be16(&fh, 2) & 0xfff8u, more = pkt_u8(&fh, 3) & 1u, len;
    uint32_t id = pkt_be32(&fh, 4);
    const uint8_t *src = pkt_bytes(&ip, 8, 16), *dst = pkt_bytes(&ip, 24, 16), *data;
    slot *s;
    int fresh;

    if (ip.truncated || end < hdr_end || end > ip.len)
        return FRAG_BAD;
    len = (uint32_t)(end - hdr_end);
    data = pkt_bytes(&ip, hdr_end, len);
    if (data == NULL || len == 0 || (more && len % 8 != 0) || off + len > MAX_DATA)
        return FRAG_BAD;
    s = find_slot(src, dst, id, ts);
    fresh = check_overlap(s, off, data, len);
    if (fresh == 0)
        return FRAG_HELD;
    if (fresh > 0) {
        store(s, off, data, len);
        fresh = note_edges(s, pkt_u8(&fh, 0), off, len, (int)more);
    }
    if (fresh < 0) {
        s->used = 0;
        return FRAG_BAD;
    }
    if (!s->have_first || !s->have_last || s->got != s->total)
        return FRAG_HELD;
    s->used = 0; /* the buffer stays valid until this slot is used again */
    d->src = s->src;
    d->dst = s->dst;
    d->nh = s->nh;
    d->data = s->buf;
    d->len = s->total;
    return FRAG_DONE;
}
