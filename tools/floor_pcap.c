/* floor_pcap: the I/O floor for the benchmark (`make bench`): a bare pcap_next_ex loop that
 * reads one byte of every 64 of each frame (every cache line it spans), so the frames really
 * travel from the file to the CPU. No tool that reads the capture with libpcap can be faster.
 *
 * Usage: floor_pcap FILE
 * Prints the frames and bytes it read, so a run can be checked. */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>

static unsigned touch(const u_char *bytes, bpf_u_int32 len)
{
    unsigned sum = 0;

    for (bpf_u_int32 i = 0; i < len; i += 64)
        sum += bytes[i];
    return sum;
}

int main(int argc, char **argv)
{
    char err[PCAP_ERRBUF_SIZE];
    struct pcap_pkthdr *h;
    const u_char *bytes;
    uint64_t packets = 0, total = 0;
    unsigned sink = 0;
    pcap_t *p;
    int rc;

    if (argc != 2) {
        fprintf(stderr, "usage: floor_pcap FILE\n");
        return 2;
    }
    p = pcap_open_offline(argv[1], err);
    if (p == NULL) {
        fprintf(stderr, "floor_pcap: %s\n", err);
        return 2;
    }
    while ((rc = pcap_next_ex(p, &h, &bytes)) == 1) {
        packets++;
        total += h->caplen;
        sink += touch(bytes, h->caplen);
    }
    if (rc == PCAP_ERROR)
        fprintf(stderr, "floor_pcap: %s\n", pcap_geterr(p));
    printf("floor_pcap: %llu packets, %llu bytes (%u)\n", (unsigned long long)packets,
           (unsigned long long)total, sink & 1);
    pcap_close(p);
    return rc == PCAP_ERROR ? 2 : 0;
}
