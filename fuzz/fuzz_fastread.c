/* libFuzzer target: a capture file read through sniff (the fast reader while it can, libpcap
 * from the first record it leaves) against the same file read by libpcap alone. Any
 * difference aborts: the frames' headers and bytes, their number, how the read ended and
 * libpcap's message. The input goes through a memfd opened by name, as fuzz_pipeline's. */
#define _GNU_SOURCE
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sniff/internal.h"
#include "sniff/sniff.h"

static int memfd = -1;
static char memfd_path[64];

typedef struct seen {
    uint64_t frames, sum;
    int failed;
    char error[PCAP_ERRBUF_SIZE + 512];
} seen;

static void add(seen *s, const struct pcap_pkthdr *h, const uint8_t *b)
{
    uint64_t x = s->sum * 1000003u ^ (uint64_t)h->ts.tv_sec;
    x = x * 1000003u ^ (uint64_t)h->ts.tv_usec;
    x = x * 1000003u ^ ((uint64_t)h->caplen << 32 | h->len);
    for (uint32_t i = 0; i < h->caplen; i++)
        x = x * 31 + b[i];
    s->sum = x;
    s->frames++;
}

static void on_frame(void *ctx, uint64_t frame, const struct pcap_pkthdr *h, const uint8_t *b)
{
    (void)frame;
    add(ctx, h, b);
}

/* 0 when sniff refused the file (libpcap must refuse it too). */
static int through_sniff(seen *r)
{
    char err[PCAP_ERRBUF_SIZE + 512];
    sniff_config cfg = {.file = memfd_path};
    sniff *s = sniff_open(&cfg, err, sizeof err);
    if (!s)
        return 0;
    r->failed = sniff_loop(s, on_frame, r) < 0;
    if (r->failed)
        snprintf(r->error, sizeof r->error, "%s", sniff_error(s));
    sniff_close(s);
    return 1;
}

static int through_libpcap(seen *r)
{
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline(memfd_path, err);
    if (!p)
        return 0;
    struct pcap_pkthdr *h;
    const u_char *b;
    int rc;
    while ((rc = pcap_next_ex(p, &h, &b)) == 1) {
        sniff_sane_time(h); /* as sniff hands them on */
        add(r, h, b);
    }
    r->failed = rc == PCAP_ERROR;
    if (r->failed)
        snprintf(r->error, sizeof r->error, "%s", pcap_geterr(p));
    pcap_close(p);
    return 1;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    memfd = memfd_create("smtpscope-fuzz", 0);
    if (memfd < 0) {
        perror("memfd_create");
        abort();
    }
    snprintf(memfd_path, sizeof memfd_path, "/proc/self/fd/%d", memfd);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (ftruncate(memfd, 0) != 0 || pwrite(memfd, data, size, 0) != (ssize_t)size)
        abort();
    seen a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    int sa = through_sniff(&a), sb = through_libpcap(&b);
    if (!sa || !sb)
        return 0; /* sniff also refuses link types it cannot decode: nothing to compare */
    if (a.frames != b.frames || a.sum != b.sum || a.failed != b.failed)
        abort();
    /* sniff words one pcapng message its own way (sniff_read_error); the rest are libpcap's */
    if (a.failed && !strstr(b.error, "first interface") && strcmp(a.error, b.error) != 0)
        abort();
    return 0;
}
