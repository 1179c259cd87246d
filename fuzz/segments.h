/* The fuzz input format for one SMTP session: a sequence of TCP segments and TCP events in
 * both directions, as fuzz_smtp reads it and fuzz/pcap2seg writes it from real captures.
 *
 *   byte 0        how the session ends: bits 0-2 the smtp_end_reason (modulo their count),
 *                 bits 3-4 who closed it (0 client, 1 server, else unknown)
 *   then records  a header byte H: bit 7 the direction (0 client, 1 server), bits 0-6 the
 *                 length; a length of 127 is followed by two bytes, the real length (little
 *                 endian, up to 65535). Then that many payload bytes (fewer at the end).
 *                 A length of 0 is a TCP event instead: one byte, its kind modulo 3 (FIN,
 *                 retransmission, zero window); a retransmission then has a 4-byte stream
 *                 offset and a 2-byte length (little endian).
 *
 * A one-byte header for short segments keeps the format dense where the fuzzer mutates. */
#ifndef SMTPSCOPE_FUZZ_SEGMENTS_H
#define SMTPSCOPE_FUZZ_SEGMENTS_H

#include <stddef.h>
#include <stdint.h>

enum { SEG_SHORT_MAX = 126, SEG_LONG = 127, SEG_DIR_SERVER = 0x80 };
enum { SEG_DATA = -1, SEG_EV_FIN = 0, SEG_EV_RETRANSMISSION = 1, SEG_EV_ZERO_WINDOW = 2 };

typedef struct seg_reader {
    const uint8_t *p, *end;
} seg_reader;

typedef struct seg_record {
    int server;
    int kind; /* SEG_DATA or a SEG_EV_* */
    const uint8_t *data;
    size_t len;      /* data bytes, or the retransmitted length */
    uint64_t offset; /* retransmission: stream offset */
} seg_record;

/* n bytes little endian; fewer when the input ends, the rest read as 0. */
static inline uint64_t seg_le(seg_reader *r, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n && r->p < r->end; i++)
        v |= (uint64_t)*r->p++ << (8 * i);
    return v;
}

static inline void seg_event(seg_reader *r, seg_record *rec)
{
    rec->kind = (int)(seg_le(r, 1) % 3);
    rec->data = NULL;
    rec->len = 0;
    rec->offset = 0;
    if (rec->kind == SEG_EV_RETRANSMISSION) {
        rec->offset = seg_le(r, 4);
        rec->len = (size_t)seg_le(r, 2);
    }
}

/* Next record; 0 at the end of the input. */
static inline int seg_next(seg_reader *r, seg_record *rec)
{
    if (r->p >= r->end)
        return 0;
    uint8_t h = *r->p++;
    size_t n = h & 0x7f;
    rec->server = (h & SEG_DIR_SERVER) != 0;
    if (n == 0) {
        seg_event(r, rec);
        return 1;
    }
    if (n == SEG_LONG && r->end - r->p >= 2)
        n = (size_t)seg_le(r, 2);
    size_t left = (size_t)(r->end - r->p);
    rec->kind = SEG_DATA;
    rec->len = n < left ? n : left;
    rec->data = r->p;
    r->p += rec->len;
    return 1;
}

#endif
