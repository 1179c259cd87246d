/* pkt: checked reads of packet bytes, and the Internet checksum (RFC 1071).
 *
 * Captured bytes are data from the wire: a length field may lie, a snap length may cut a header
 * short. So every packet byte sniff/ and reassembly/ read goes through a view over (pointer,
 * length) whose readers check their own bounds, in the spirit of tcpdump's GET_BE_U_2 and
 * ND_TCHECK_LEN: a read past the end returns 0 and marks the view truncated. The mark stays, so a
 * caller may read a whole header and test once, and a check forgotten is a wrong value, never a
 * read out of bounds. Each read is safe where it stands, whatever an earlier layer checked.
 *
 * Header-only and inline: the packet path reads every field of every packet through it, and it
 * allocates nothing. */
#ifndef SMTPSCOPE_PKT_H
#define SMTPSCOPE_PKT_H

#include <stddef.h>
#include <stdint.h>

typedef struct pkt_view {
    const uint8_t *p;
    size_t len;
    int truncated; /* a read went past len: set once, never cleared */
} pkt_view;

/* A view of len bytes at p (none when p is NULL). */
static inline pkt_view pkt_view_of(const uint8_t *p, size_t len)
{
    pkt_view v = {p, p != NULL ? len : 0, 0};
    return v;
}

/* 1 when the n bytes at off are all in the view. Written so that off + n cannot wrap: both come
 * from packet fields. */
static inline int pkt_have(const pkt_view *v, size_t off, size_t n)
{
    return off <= v->len && n <= v->len - off;
}

/* pkt_have, and the view marked truncated when the bytes are not there. */
static inline int pkt_check(pkt_view *v, size_t off, size_t n)
{
    if (pkt_have(v, off, n))
        return 1;
    v->truncated = 1;
    return 0;
}

static inline uint8_t pkt_u8(pkt_view *v, size_t off)
{
    return pkt_check(v, off, 1) ? v->p[off] : 0;
}

/* Big-endian (network order): IP, TCP, link-layer types. */
static inline uint16_t pkt_be16(pkt_view *v, size_t off)
{
    if (!pkt_check(v, off, 2))
        return 0;
    return (uint16_t)(v->p[off] << 8 | v->p[off + 1]);
}

static inline uint32_t pkt_be32(pkt_view *v, size_t off)
{
    if (!pkt_check(v, off, 4))
        return 0;
    return (uint32_t)v->p[off] << 24 | (uint32_t)v->p[off + 1] << 16 |
           (uint32_t)v->p[off + 2] << 8 | v->p[off + 3];
}

/* Little-endian: 802.11 frame control and the radiotap length are written that way. */
static inline uint16_t pkt_le16(pkt_view *v, size_t off)
{
    if (!pkt_check(v, off, 2))
        return 0;
    return (uint16_t)(v->p[off + 1] << 8 | v->p[off]);
}

/* The n bytes at off, to copy or compare whole (an address, a payload); NULL when they are not
 * all there. */
static inline const uint8_t *pkt_bytes(pkt_view *v, size_t off, size_t n)
{
    return pkt_check(v, off, n) ? v->p + off : NULL;
}

/* The n bytes at off as a view of their own: the next layer, or a packet cut to the length its
 * header gives. When they are not all there the result is empty and both views are truncated.
 * A header taken whole this way (n a constant) is checked once: the compiler sees the length
 * of the new view, and the checks of the reads at constant offsets in it fold away. */
static inline pkt_view pkt_sub(pkt_view *v, size_t off, size_t n)
{
    if (!pkt_check(v, off, n)) {
        pkt_view none = {v->p, 0, 1};
        return none;
    }
    pkt_view s = {v->p + off, n, 0};
    return s;
}

/* Everything from off on (pkt_sub with the rest of the view). */
static inline pkt_view pkt_rest(pkt_view *v, size_t off)
{
    return pkt_sub(v, off, off <= v->len ? v->len - off : 0);
}

/* ---- the Internet checksum (RFC 1071) ---- */

/* Adds the n bytes at p to a one's complement sum, as big-endian 16-bit words with an odd last
 * byte padded by a zero. Only for bytes known to be there: the caller's own buffer, or what
 * pkt_bytes returned (pkt_sum checks for itself). The carries are gathered in 64 bits and folded
 * back into 32, which keeps the sum's value modulo 0xffff whatever n is. */
static inline uint32_t pkt_sum_bytes(const uint8_t *p, size_t n, uint32_t sum)
{
    uint64_t s = sum;
    size_t i;

    for (i = 0; i + 1 < n; i += 2)
        s += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (n & 1)
        s += (uint32_t)p[n - 1] << 8;
    while (s >> 32)
        s = (s & 0xffffffffu) + (s >> 32);
    return (uint32_t)s;
}

/* The n bytes at off of the view added to sum; sum unchanged (and the view truncated) when they
 * are not all there. */
static inline uint32_t pkt_sum(pkt_view *v, size_t off, size_t n, uint32_t sum)
{
    const uint8_t *b = pkt_bytes(v, off, n);

    return b != NULL ? pkt_sum_bytes(b, n, sum) : sum;
}

/* The sum folded to 16 bits, the end-around carries added back in. A checksum field holds the
 * complement of the fold of everything else; bytes that include a right checksum fold to
 * 0xffff. */
static inline uint16_t pkt_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)sum;
}

/* ---- writers, into a buffer the caller owns and sized (a rewritten packet, a test frame) ---- */

static inline void pkt_put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void pkt_put32(uint8_t *p, uint32_t v)
{
    pkt_put16(p, v >> 16);
    pkt_put16(p + 2, v);
}

#endif
