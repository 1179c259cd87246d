/* splitcap: a capture cut into the shares `--workers N` gives its workers, for the benchmark
 * (`make bench`): the frames whose address pair hashes to K of N (net_pair_hash, as
 * --partition K/N) go to PREFIX.K, in order. N processes each reading only its own share,
 * with no parent, are what N workers could be at best: the bound the speed-up is measured
 * against.
 *
 * Usage: splitcap FILE N PREFIX
 * Prints the frames written to each part. */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>

#include "sniff/decode.h"

#define PARTS_MAX 64

static int split(pcap_t *p, pcap_dumper_t **out, unsigned n, unsigned long long *count)
{
    struct pcap_pkthdr *h;
    const u_char *bytes;
    int rc;

    while ((rc = pcap_next_ex(p, &h, &bytes)) == 1) {
        net_packet np;
        net_decode(pcap_datalink(p), bytes, h->caplen, &np);
        unsigned k = (unsigned)(net_pair_hash(&np) % n);
        pcap_dump((u_char *)out[k], h, bytes);
        count[k]++;
    }
    if (rc == PCAP_ERROR)
        fprintf(stderr, "splitcap: %s\n", pcap_geterr(p));
    return rc == PCAP_ERROR ? -1 : 0;
}

int main(int argc, char **argv)
{
    char err[PCAP_ERRBUF_SIZE], name[4096];
    pcap_dumper_t *out[PARTS_MAX];
    unsigned long long count[PARTS_MAX] = {0};
    unsigned n = argc == 4 ? (unsigned)strtoul(argv[2], NULL, 10) : 0;
    int rc = 0;

    if (n < 1 || n > PARTS_MAX) {
        fprintf(stderr, "usage: splitcap FILE N PREFIX (N from 1 to %d)\n", PARTS_MAX);
        return 2;
    }
    pcap_t *p = pcap_open_offline(argv[1], err);
    if (p == NULL) {
        fprintf(stderr, "splitcap: %s\n", err);
        return 2;
    }
    for (unsigned k = 0; k < n; k++) {
        snprintf(name, sizeof name, "%s.%u", argv[3], k);
        if (!(out[k] = pcap_dump_open(p, name))) {
            fprintf(stderr, "splitcap: %s\n", pcap_geterr(p));
            return 2;
        }
    }
    rc = split(p, out, n, count);
    for (unsigned k = 0; k < n; k++) {
        if (pcap_dump_flush(out[k]) != 0)
            rc = -1, fprintf(stderr, "splitcap: writing %s.%u failed\n", argv[3], k);
        pcap_dump_close(out[k]);
        printf("%s%llu", k ? " " : "splitcap: frames ", count[k]);
    }
    printf("\n");
    pcap_close(p);
    return rc < 0 ? 2 : 0;
}
