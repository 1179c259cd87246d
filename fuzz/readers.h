/* A capture file read two ways, for the fast reader's checks (fuzz/fuzz_fastread.c and
 * tests/test_fastread.c): through sniff (sniff/fastread.c while it can, libpcap from the first
 * record it leaves) and through libpcap alone. Each way sums what it gave: every header and
 * byte, the number of frames, how it ended and the message, so that the two can be compared.
 *
 * Header-only (static), as oracle.h, so the unit tests need no change to the Makefile. */
#ifndef SMTPSCOPE_FUZZ_READERS_H
#define SMTPSCOPE_FUZZ_READERS_H

#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "sniff/internal.h"
#include "sniff/sniff.h"

typedef struct readers_seen {
    uint64_t frames, sum;
    int failed;
    char error[PCAP_ERRBUF_SIZE + 512];
} readers_seen;

static void readers_add(readers_seen *s, const struct pcap_pkthdr *h, const uint8_t *b)
{
    uint64_t x = s->sum * 1000003u ^ (uint64_t)h->ts.tv_sec;
    x = x * 1000003u ^ (uint64_t)h->ts.tv_usec;
    x = x * 1000003u ^ ((uint64_t)h->caplen << 32 | h->len);
    for (uint32_t i = 0; i < h->caplen; i++)
        x = x * 31 + b[i];
    s->sum = x;
    s->frames++;
}

static void readers_on_frame(void *ctx, uint64_t frame, const struct pcap_pkthdr *h,
                             const uint8_t *b)
{
    (void)frame;
    readers_add(ctx, h, b);
}

/* 0 when sniff refused the file (a link type it cannot decode, or no capture). */
static int readers_sniff(const char *path, readers_seen *r)
{
    char err[PCAP_ERRBUF_SIZE + 512];
    sniff_config cfg = {.file = path};
    memset(r, 0, sizeof *r);
    sniff *s = sniff_open(&cfg, err, sizeof err);
    if (!s)
        return 0;
    r->failed = sniff_loop(s, readers_on_frame, r) < 0;
    if (r->failed)
        snprintf(r->error, sizeof r->error, "%s", sniff_error(s));
    sniff_close(s);
    return 1;
}

/* 0 when libpcap refused the file. */
static int readers_libpcap(const char *path, readers_seen *r)
{
    char err[PCAP_ERRBUF_SIZE];
    struct pcap_pkthdr *h;
    const u_char *b;
    int rc;
    memset(r, 0, sizeof *r);
    pcap_t *p = pcap_open_offline(path, err);
    if (!p)
        return 0;
    while ((rc = pcap_next_ex(p, &h, &b)) == 1) {
        sniff_sane_time(h); /* as sniff hands them on */
        readers_add(r, h, b);
    }
    r->failed = rc == PCAP_ERROR;
    if (r->failed)
        snprintf(r->error, sizeof r->error, "%s", pcap_geterr(p));
    pcap_close(p);
    return 1;
}

/* 1 when the two ways gave the same; sniff words one pcapng message its own way
 * (sniff_read_error), the rest are libpcap's. */
static int readers_agree(const readers_seen *a, const readers_seen *b)
{
    if (a->frames != b->frames || a->sum != b->sum || a->failed != b->failed)
        return 0;
    return !a->failed || strstr(b->error, "first interface") || !strcmp(a->error, b->error);
}

#endif
