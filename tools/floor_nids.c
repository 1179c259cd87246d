/* floor_nids: the floor of smtpscope's design, for the benchmark (`make bench`).
 *
 * libnids alone, set up as reassembly/reasm.c sets it up (no checksums, no port-scan detection,
 * the same stream table for the same --max-streams, the same TCP workarounds), following both
 * directions of every connection and throwing the bytes away. Every frame is read with
 * pcap_next_ex and handed to nids_pcap_handler, as smtpscope does, so the difference between
 * the two on one capture is what smtpscope's own layers (link decoding, BPF filter, sessions,
 * SMTP, report) cost.
 *
 * Usage: floor_nids [--max-streams N] FILE
 * Prints the packets, connections and reassembled bytes it saw, so a run can be checked. */
#include <limits.h>
#include <nids.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_MAX_STREAMS 65536 /* REASM_DEFAULT_MAX_STREAMS */
#define N_HOSTS 1024              /* as in reasm.c */

static struct {
    uint64_t streams, closed, bytes;
    unsigned sink; /* one byte of every delivery, so the data is really read */
} F;

/* Kept static: libnids stores the pointer. No checksum is verified, as smtpscope's default. */
static struct nids_chksum_ctl no_checksum = {0, 0, NIDS_DONT_CHKSUM, 0};

/* Adds a half's new bytes; libnids then drops them, since nids_discard is never called. */
static void take(const struct half_stream *h)
{
    if (h->count_new <= 0)
        return;
    F.bytes += (uint64_t)h->count_new;
    F.sink += (unsigned char)h->data[h->count - h->offset - 1];
}

static void on_tcp(struct tcp_stream *a, void **unused)
{
    (void)unused;
    switch (a->nids_state) {
    case NIDS_JUST_EST:
        a->client.collect++;
        a->server.collect++;
        F.streams++;
        break;
    case NIDS_DATA:
        take(&a->server);
        take(&a->client);
        break;
    default:
        F.closed++;
        break;
    }
}

static void no_memory(char *where)
{
    fprintf(stderr, "floor_nids: out of memory in %s\n", where);
    exit(2);
}

/* reasm.c's table_size: libnids keeps at most 3/4 of n_tcp_streams streams. */
static int table_size(int max_streams)
{
    long long n = ((long long)max_streams * 4 + 2) / 3;

    while (3 * n / 4 < max_streams)
        n++;
    return n > INT_MAX / 4 ? INT_MAX / 4 : (int)n;
}

static void configure(pcap_t *p, int max_streams)
{
    nids_params.pcap_desc = p;
    nids_params.filename = NULL;
    nids_params.device = NULL;
    nids_params.pcap_filter = NULL;
    nids_params.n_tcp_streams = table_size(max_streams);
    nids_params.n_hosts = N_HOSTS;
    nids_params.scan_num_hosts = 0;
    nids_params.tcp_workarounds = 1;
    nids_params.one_loop_less = 0;
    nids_params.multiproc = 0;
    nids_params.tcp_flow_timeout = 0;
    nids_params.no_mem = no_memory;
}

static int parse(int argc, char **argv, const char **file)
{
    int max_streams = DEFAULT_MAX_STREAMS;

    if (argc == 4 && strcmp(argv[1], "--max-streams") == 0) {
        max_streams = atoi(argv[2]);
        argv += 2;
        argc -= 2;
    }
    if (argc != 2 || max_streams <= 0) {
        fprintf(stderr, "usage: floor_nids [--max-streams N] FILE\n");
        exit(2);
    }
    *file = argv[1];
    return max_streams;
}

int main(int argc, char **argv)
{
    char err[PCAP_ERRBUF_SIZE];
    const char *file;
    int max_streams = parse(argc, argv, &file);
    struct pcap_pkthdr *h;
    const u_char *bytes;
    uint64_t packets = 0;
    pcap_t *p = pcap_open_offline(file, err);

    if (p == NULL) {
        fprintf(stderr, "floor_nids: %s\n", err);
        return 2;
    }
    configure(p, max_streams);
    if (!nids_init()) {
        fprintf(stderr, "floor_nids: %s\n", nids_errbuf);
        return 2;
    }
    nids_register_tcp(on_tcp);
    nids_register_chksum_ctl(&no_checksum, 1);
    while (pcap_next_ex(p, &h, &bytes) == 1) {
        packets++;
        /* libnids takes non-const pointers but does not write through them. */
        nids_pcap_handler(NULL, h, (u_char *)bytes);
    }
    printf("floor_nids: %llu packets, %llu connections (%llu ended), %llu bytes reassembled "
           "(%u)\n",
           (unsigned long long)packets, (unsigned long long)F.streams, (unsigned long long)F.closed,
           (unsigned long long)F.bytes, F.sink & 1);
    nids_exit();
    pcap_close(p);
    return 0;
}
