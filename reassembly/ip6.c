/* ip6: IPv6 address pairs onto synthetic IPv4 addresses, and the packet rewrite. See ip6.h. */
#include "reassembly/ip6.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <xxhash.h>

#include "base/map.h"
#include "base/pkt.h"

#define MIN_PAIRS 1024u
#define MAX_PAIRS (1u << 20)
#define SYNTH_PAIRS (1u << 27)   /* 240.0.0.0/4 holds 2^28 addresses, two per pair */
#define MAX_SEGMENT (65535 - 20) /* the largest TCP segment an IPv4 packet can carry */

/* One IPv6 address pair. Slot s with generation g stands for synthetic pair g * cap + s:
 * when a slot is given to another pair its generation moves on, so a stale synthetic
 * address no longer matches, and libnids sees the new pair as new hosts. */
typedef struct pair {
    uint8_t lo[16], hi[16]; /* the two addresses, lower first (memcmp order) */
    uint32_t gen;
    uint32_t live; /* sessions that hold it */
    uint8_t ref;   /* used since the clock hand last passed */
} pair;

/* The pair table: a fixed number of slots, and an index from each pair to its slot. */
static struct {
    pair *slot;
    map index; /* seeded XXH3 of the pair -> slot number; same_pair tells pairs apart */
    uint32_t cap, shift, used, hand;
    uint64_t seed;
} pairs;

static uint8_t rewritten[20 + 65535]; /* the IPv4 packet ip6_translate hands out */

static void out_of_memory(void)
{
    fprintf(stderr, "smtpscope: out of memory for the IPv6 address table\n");
    exit(2);
}

void ip6_init(int max_streams)
{
    uint32_t cap = MIN_PAIRS;

    ip6_exit();
    while (cap < MAX_PAIRS && cap < (uint32_t)max_streams)
        cap <<= 1;
    pairs.cap = cap;
    for (pairs.shift = 0; (1u << pairs.shift) < cap; pairs.shift++)
        ;
    /* Only the hash depends on the seed, never the output: a random one keeps a crafted
     * capture from piling every pair onto one run of the index. */
    if (getrandom(&pairs.seed, sizeof pairs.seed, GRND_NONBLOCK) != (ssize_t)sizeof pairs.seed)
        pairs.seed = 0x5eed5eed5eed5eedULL;
}

void ip6_exit(void)
{
    free(pairs.slot);
    pairs.slot = NULL;
    map_free(&pairs.index);
    pairs.used = pairs.hand = 0;
    ip6_frag_exit();
}

/* calloc: pages of the table that no pair touches are never really allocated. */
static void allocate(void)
{
    pairs.slot = calloc(pairs.cap, sizeof *pairs.slot);
    if (pairs.slot == NULL)
        out_of_memory();
}

typedef struct pair_key {
    const uint8_t *lo, *hi;
} pair_key;

static uint64_t key_of(const uint8_t *lo, const uint8_t *hi)
{
    uint8_t key[32];

    memcpy(key, lo, 16);
    memcpy(key + 16, hi, 16);
    return map_key(XXH3_64bits_withSeed(key, sizeof key, pairs.seed));
}

static int same_pair(uint64_t slot, const void *arg)
{
    const pair *p = &pairs.slot[slot];
    const pair_key *k = arg;

    return memcmp(p->lo, k->lo, 16) == 0 && memcmp(p->hi, k->hi, 16) == 0;
}

static int same_slot(uint64_t slot, const void *arg)
{
    return slot == *(const uint32_t *)arg;
}

/* A slot for a new pair: a fresh one while there are, else the clock algorithm's choice among
 * the pairs no session holds, whose old pair leaves the index. Returns slot + 1, 0 when every
 * pair is held. */
static uint32_t take_slot(void)
{
    if (pairs.used < pairs.cap)
        return ++pairs.used;
    for (uint32_t n = 0; n < 2 * pairs.cap; n++) {
        uint32_t s = pairs.hand;
        pair *p = &pairs.slot[s];
        pairs.hand = (pairs.hand + 1) & (pairs.cap - 1);
        if (p->live != 0)
            continue;
        if (p->ref) {
            p->ref = 0;
            continue;
        }
        map_remove(&pairs.index, key_of(p->lo, p->hi), same_slot, &s, NULL);
        p->gen = (p->gen + 1) % (SYNTH_PAIRS / pairs.cap);
        return s + 1;
    }
    return 0;
}

/* The slot of the pair lo, hi: the one it has, else a new one. Returns slot + 1, 0 when every
 * pair is held. */
static uint32_t slot_of(const uint8_t *lo, const uint8_t *hi)
{
    pair_key k = {lo, hi};
    uint64_t key = key_of(lo, hi);
    const uint64_t *found = map_find(&pairs.index, key, same_pair, &k);
    uint32_t i;

    if (found != NULL)
        return (uint32_t)*found + 1;
    if ((i = take_slot()) == 0)
        return 0;
    pair *p = &pairs.slot[i - 1];
    memcpy(p->lo, lo, 16);
    memcpy(p->hi, hi, 16);
    if (map_add(&pairs.index, key, i - 1) != 0)
        out_of_memory();
    return i;
}

/* The synthetic IPv4 addresses (network order) of src and dst. */
static int map_pair(const uint8_t *src, const uint8_t *dst, uint32_t *s4, uint32_t *d4)
{
    int cmp = memcmp(src, dst, 16);
    const uint8_t *lo = cmp > 0 ? dst : src, *hi = cmp > 0 ? src : dst;
    uint32_t i, base;

    if (pairs.slot == NULL)
        allocate();
    if ((i = slot_of(lo, hi)) == 0)
        return -1;
    pairs.slot[i - 1].ref = 1;
    base = IP6_SYNTH_NET | (pairs.slot[i - 1].gen << pairs.shift | (i - 1)) << 1;
    /* A host talking to itself (::1 to ::1) keeps one address, as 127.0.0.1 does in IPv4:
     * libnids matches the two directions of a stream by swapping the addresses. */
    *s4 = htonl(cmp == 0 ? base : cmp < 0 ? base : base | 1);
    *d4 = htonl(cmp == 0 ? base : cmp < 0 ? base | 1 : base);
    return 0;
}

int ip6_is_synthetic(uint32_t addr)
{
    return (ntohl(addr) & 0xf0000000u) == IP6_SYNTH_NET;
}

/* The slot of a synthetic address whose generation is current, else NULL. */
static pair *pair_of(uint32_t addr)
{
    uint32_t a = ntohl(addr), idx = (a & 0x0fffffffu) >> 1;
    uint32_t s = idx & (pairs.cap - 1);

    if (!ip6_is_synthetic(addr) || pairs.slot == NULL || s >= pairs.used ||
        pairs.slot[s].gen != idx >> pairs.shift)
        return NULL;
    return &pairs.slot[s];
}

int ip6_real_address(uint32_t addr, uint8_t out[16])
{
    const pair *p = pair_of(addr);

    if (p == NULL)
        return -1;
    memcpy(out, (ntohl(addr) & 1) ? p->hi : p->lo, 16);
    return 0;
}

void ip6_hold(uint32_t addr)
{
    pair *p = pair_of(addr);

    if (p != NULL)
        p->live++;
}

void ip6_release(uint32_t addr)
{
    pair *p = pair_of(addr);

    if (p != NULL && p->live > 0)
        p->live--;
}

/* ---- the rewrite ---- */

/* RFC 1624 eqn. 3, HC' = ~(~HC + ~m + m'), with m the IPv6 addresses and m' the IPv4 ones:
 * the length and protocol parts of the two pseudo-headers sum to the same value. The TCP
 * header is at 20 in the rewritten packet of len bytes. */
static void adjust_checksum(size_t len, const uint8_t *src6, const uint8_t *dst6)
{
    pkt_view ip4 = pkt_view_of(rewritten, len);
    uint16_t old = pkt_fold(pkt_sum_bytes(dst6, 16, pkt_sum_bytes(src6, 16, 0)));
    uint32_t sum = (uint16_t)~pkt_be16(&ip4, 20 + 16);

    sum += (uint16_t)~old;
    sum = pkt_sum(&ip4, 12, 8, sum);
    pkt_put16(rewritten + 20 + 16, (uint16_t)~pkt_fold(sum));
}

/* The IPv4 header at h for a segment of seglen bytes; traffic class and hop limit come from
 * the IPv6 header. */
static void ip4_header(uint8_t *h, pkt_view *ip6, size_t seglen, uint32_t s4, uint32_t d4)
{
    uint8_t b0 = pkt_u8(ip6, 0), b1 = pkt_u8(ip6, 1);

    memset(h, 0, 20);
    h[0] = 0x45;
    h[1] = (uint8_t)((b0 & 0x0f) << 4 | b1 >> 4); /* traffic class */
    pkt_put16(h + 2, (uint32_t)(20 + seglen));
    h[6] = 0x40; /* don't fragment: it was whole or is reassembled */
    h[8] = pkt_u8(ip6, 7);
    h[9] = IP6_TCP;
    memcpy(h + 12, &s4, 4);
    memcpy(h + 16, &d4, 4);
    pkt_put16(h + 10, (uint16_t)~pkt_fold(pkt_sum_bytes(h, 20, 0)));
}

/* src and dst: the 16 bytes of each address; seg: the TCP segment. */
static ip6_result rewrite(pkt_view *ip6, const uint8_t *src, const uint8_t *dst, pkt_view *seg,
                          const uint8_t **out, size_t *len)
{
    size_t seglen = seg->len;
    const uint8_t *bytes = pkt_bytes(seg, 0, seglen);
    uint32_t s4, d4;

    if (bytes == NULL || seglen < 20 || seglen > MAX_SEGMENT)
        return IP6_MALFORMED;
    if (map_pair(src, dst, &s4, &d4) != 0)
        return IP6_NO_ROOM;
    ip4_header(rewritten, ip6, seglen, s4, d4);
    memcpy(rewritten + 20, bytes, seglen);
    adjust_checksum(20 + seglen, src, dst);
    *out = rewritten;
    *len = 20 + seglen;
    return IP6_PACKET;
}

static ip6_result reassembled(pkt_view *ip6, const ip6_datagram *d, const uint8_t **out,
                              size_t *len)
{
    pkt_view data = pkt_view_of(d->data, d->len);
    uint8_t nh = d->nh;
    size_t off = 0;

    if (net_ip6_skip_ext(&data, &nh, &off) != 0 || nh == IP6_FRAGMENT)
        return IP6_MALFORMED;
    if (nh != IP6_TCP)
        return IP6_NOTHING;
    pkt_view seg = pkt_rest(&data, off);
    return rewrite(ip6, d->src, d->dst, &seg, out, len);
}

ip6_result ip6_translate(const net_packet *p, struct timeval ts, const uint8_t **out, size_t *len)
{
    pkt_view ip = pkt_view_of(p->ip, p->caplen);
    size_t total = 40 + (size_t)pkt_be16(&ip, 4);

    if (total == 40 || total > ip.len)
        return IP6_MALFORMED; /* truncated by the snap length, or a jumbogram */
    if (p->fragment) {
        ip6_datagram d;
        switch (ip6_frag_add(p, ts, &d)) {
        case FRAG_HELD:
            return IP6_NOTHING;
        case FRAG_BAD:
            return IP6_MALFORMED;
        case FRAG_DONE:
            return reassembled(&ip, &d, out, len);
        }
    }
    if (p->proto != IP6_TCP || p->l4_off == 0)
        return IP6_NOTHING; /* another protocol, or a chain it could not follow (ESP) */
    const uint8_t *src = pkt_bytes(&ip, 8, 16), *dst = pkt_bytes(&ip, 24, 16);
    pkt_view whole = pkt_sub(&ip, 0, total), seg = pkt_rest(&whole, p->l4_off);
    if (src == NULL || dst == NULL)
        return IP6_MALFORMED;
    return rewrite(&ip, src, dst, &seg, out, len);
}
