/* The body digest: XXH3-128 of a message's body after its header section, taken as the body
 * goes by without keeping it. */
#include "smtp/internal.h"

void smtp_digest_start(smtp_session *s)
{
    if (!s->digest)
        s->digest = XXH3_createState();
    if (s->digest)
        XXH3_128bits_reset(s->digest);
    s->digest_ready = 0;
    s->digest_from = 0;
    s->digested = 0;
}

void smtp_digest_from(smtp_session *s, uint64_t from)
{
    if (s->digest_ready)
        return;
    s->digest_from = from;
    s->digest_ready = 1;
}

/* Digests body offsets up to hi. They lie in the scanner's old tail (the bytes just before
 * data_off) or in d (from data_off on). Bytes before the end of the headers are skipped. */
void smtp_digest_upto(smtp_session *s, uint64_t hi, const uint8_t *tail, unsigned tn,
                      uint64_t data_off, const uint8_t *d)
{
    if (!s->digest || !s->digest_ready)
        return;
    uint64_t lo = s->digested > s->digest_from ? s->digested : s->digest_from;
    uint64_t tail_off = data_off - tn; /* may wrap below 0: the seeded line end */
    if (lo + tn < data_off)
        lo = tail_off;
    if (hi <= lo)
        return;
    if (lo < data_off) {
        uint64_t end = hi < data_off ? hi : data_off;
        XXH3_128bits_update(s->digest, tail + (lo - tail_off), (size_t)(end - lo));
        lo = end;
    }
    if (lo < hi)
        XXH3_128bits_update(s->digest, d + (lo - data_off), (size_t)(hi - lo));
    s->digested = hi;
}

void smtp_digest_finish(smtp_session *s, smtp_txn *t, uint64_t end)
{
    if (!t || !s->digest || !s->digest_ready || end <= s->digest_from)
        return;
    message_digest_final(s->digest, t->digest);
    t->has_digest = 1;
    t->body_bytes = end - s->digest_from;
}
