/* report/wireshark and sniff/extract: the display filter of a session, its endpoints parsed
 * back from the report's form, and the extract's second pass with its frame map. */
#include <CUnit/CUnit.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report/wireshark.h"
#include "sniff/extract.h"
#include "tests/pkt.h"
#include "tests/suites.h"

static void test_filter_ipv4(void)
{
    char f[WIRESHARK_FILTER_MAX];
    CU_ASSERT_EQUAL(wireshark_filter(f, sizeof f, "198.51.100.20:51234", "192.0.2.40:25", 3, 21),
                    0);
    CU_ASSERT_STRING_EQUAL(f, "!icmp && ((ip.src==198.51.100.20 && tcp.srcport==51234 && "
                              "ip.dst==192.0.2.40 && tcp.dstport==25) || (ip.src==192.0.2.40 && "
                              "tcp.srcport==25 && ip.dst==198.51.100.20 && tcp.dstport==51234)) "
                              "&& frame.number>=3 && frame.number<=21");
}

static void test_filter_ipv6(void)
{
    char f[WIRESHARK_FILTER_MAX];
    CU_ASSERT_EQUAL(wireshark_filter(f, sizeof f, "[2001:db8::20]:40000", "[2001:db8:0:1::25]:587",
                                     1000000, 18446744073709551615ull),
                    0);
    CU_ASSERT_STRING_EQUAL(f, "!icmpv6 && ((ipv6.src==2001:db8::20 && tcp.srcport==40000 && "
                              "ipv6.dst==2001:db8:0:1::25 && tcp.dstport==587) || "
                              "(ipv6.src==2001:db8:0:1::25 && tcp.srcport==587 && "
                              "ipv6.dst==2001:db8::20 && tcp.dstport==40000)) && "
                              "frame.number>=1000000 && frame.number<=18446744073709551615");
    /* the longest addresses fit */
    const char *v6 = "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe]:65535";
    CU_ASSERT_EQUAL(wireshark_filter(f, sizeof f, v6, v6, 1, 2), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(f, "ipv6.dst==ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe && "));
}

static void test_filter_refused(void)
{
    char f[WIRESHARK_FILTER_MAX] = "x";
    CU_ASSERT_EQUAL(wireshark_filter(f, sizeof f, "192.0.2.1:1", "192.0.2.2:25", 0, 9), -1);
    CU_ASSERT_STRING_EQUAL(f, ""); /* frames unknown */
    CU_ASSERT_EQUAL(wireshark_filter(f, sizeof f, "192.0.2.1:1", "[2001:db8::1]:25", 1, 9), -1);
    CU_ASSERT_EQUAL(wireshark_filter(f, sizeof f, "192.0.2.1", "192.0.2.2:25", 1, 9), -1);
    CU_ASSERT_EQUAL(wireshark_filter(f, 40, "192.0.2.1:1", "192.0.2.2:25", 1, 9), -1);
    CU_ASSERT_STRING_EQUAL(f, ""); /* too small: nothing half written */
}

static void test_parse_endpoint(void)
{
    extract_endpoint e;
    static const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
    CU_ASSERT_EQUAL(extract_parse_endpoint("192.0.2.7:25", &e), 0);
    CU_ASSERT_EQUAL(e.family, 4);
    CU_ASSERT_EQUAL(e.port, 25);
    CU_ASSERT_EQUAL(memcmp(e.addr, "\xc0\x00\x02\x07", 4), 0);
    CU_ASSERT_EQUAL(extract_parse_endpoint("[2001:db8::1]:110", &e), 0);
    CU_ASSERT_EQUAL(e.family, 6);
    CU_ASSERT_EQUAL(e.port, 110);
    CU_ASSERT_EQUAL(memcmp(e.addr, v6, 16), 0);
    CU_ASSERT_EQUAL(extract_parse_endpoint("2001:db8::1:110", &e), -1); /* no brackets */
    CU_ASSERT_EQUAL(extract_parse_endpoint("[2001:db8::1:110", &e), -1);
    CU_ASSERT_EQUAL(extract_parse_endpoint("192.0.2.7:65536", &e), -1);
    CU_ASSERT_EQUAL(extract_parse_endpoint("192.0.2.7:", &e), -1);
    CU_ASSERT_EQUAL(extract_parse_endpoint(":25", &e), -1);
    CU_ASSERT_EQUAL(extract_parse_endpoint("mail.example:25", &e), -1);
}

/* ---- the second pass ---- */

/* A raw IPv4 frame carrying a bare TCP header from a:ap to b:bp. */
static void dump_tcp(pcap_dumper_t *d, uint8_t a, uint16_t ap, uint8_t b, uint16_t bp)
{
    uint8_t f[40] = {0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, 6, 0, 0, 192, 0, 2, a, 192, 0, 2, b};
    struct pcap_pkthdr h = {.caplen = sizeof f, .len = sizeof f};
    pkt_put16(f + 20, ap);
    pkt_put16(f + 22, bp);
    f[32] = 0x50; /* data offset: 5 words */
    f[33] = 0x10; /* ACK */
    pkt_ip4_checksum(f);
    pcap_dump((u_char *)d, &h, f);
}

/* Frames 1-7 of a capture where the session 192.0.2.1:40000 <-> 192.0.2.2:25 spans 1-5. */
static FILE *capture_with_interleaving(void)
{
    FILE *f = tmpfile();
    pcap_t *dead = pcap_open_dead(DLT_RAW, 65535);
    pcap_dumper_t *d = f ? pcap_dump_fopen(dead, f) : NULL;
    if (!d)
        return NULL;
    dump_tcp(d, 1, 40000, 2, 25); /* 1: the session */
    dump_tcp(d, 2, 25, 1, 40000); /* 2: its other direction */
    dump_tcp(d, 3, 40000, 2, 25); /* 3: another client */
    dump_tcp(d, 1, 25, 2, 40000); /* 4: the same hosts, the ports the other way round */
    dump_tcp(d, 1, 40000, 2, 25); /* 5: the session's last */
    dump_tcp(d, 1, 40000, 2, 25); /* 6: after it (the port used again) */
    dump_tcp(d, 2, 25, 1, 40000); /* 7 */
    pcap_dump_flush(d);
    int fd = dup(fileno(f));
    pcap_dump_close(d); /* closes f */
    pcap_close(dead);
    FILE *again = fdopen(fd, "rb");
    if (again)
        rewind(again);
    return again;
}

/* Frames in the pcap file f, which is closed. */
static uint64_t frames_in(FILE *f)
{
    char err[PCAP_ERRBUF_SIZE];
    struct pcap_pkthdr *h;
    const u_char *b;
    uint64_t n = 0;
    rewind(f);
    pcap_t *p = pcap_fopen_offline(f, err);
    if (!p) {
        fclose(f);
        return 0;
    }
    while (pcap_next_ex(p, &h, &b) == 1)
        n++;
    pcap_close(p);
    return n;
}

static void test_extract_pass(void)
{
    char err[256];
    extract_session s = {.id = 7, .first = 1, .last = 5};
    FILE *in = capture_with_interleaving(), *out = tmpfile();
    CU_ASSERT_FATAL(in != NULL && out != NULL);
    int keep = dup(fileno(out));
    CU_ASSERT_EQUAL(extract_parse_endpoint("192.0.2.1:40000", &s.client), 0);
    CU_ASSERT_EQUAL(extract_parse_endpoint("192.0.2.2:25", &s.server), 0);
    CU_ASSERT_EQUAL(extract_write(in, out, &s, 1, err, sizeof err), 3);
    CU_ASSERT_EQUAL(s.packets, 3);
    CU_ASSERT_EQUAL_FATAL(s.nruns, 2);
    CU_ASSERT_EQUAL(s.runs[0].new_first, 1);
    CU_ASSERT_EQUAL(s.runs[0].orig_first, 1);
    CU_ASSERT_EQUAL(s.runs[0].count, 2);
    CU_ASSERT_EQUAL(s.runs[1].new_first, 3);
    CU_ASSERT_EQUAL(s.runs[1].orig_first, 5);
    CU_ASSERT_EQUAL(s.runs[1].count, 1);
    FILE *written = fdopen(keep, "rb");
    CU_ASSERT_FATAL(written != NULL);
    CU_ASSERT_EQUAL(frames_in(written), 3); /* closes it */
    extract_free_runs(&s, 1);
}

static void test_extract_not_a_capture(void)
{
    char err[256] = "";
    extract_session s = {.id = 1, .first = 1, .last = 1};
    FILE *in = tmpfile(), *out = tmpfile();
    CU_ASSERT_FATAL(in != NULL && out != NULL);
    fputs("not a capture at all, just text", in);
    rewind(in);
    CU_ASSERT_EQUAL(extract_write(in, out, &s, 1, err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "cannot read the capture again"));
}

void add_wireshark_suite(void)
{
    CU_pSuite s = CU_add_suite("wireshark", NULL, NULL);
    CU_add_test(s, "display filter, IPv4", test_filter_ipv4);
    CU_add_test(s, "display filter, IPv6", test_filter_ipv6);
    CU_add_test(s, "display filter refused", test_filter_refused);
    CU_add_test(s, "endpoints parsed back", test_parse_endpoint);
    CU_add_test(s, "extract: the session's frames and their map", test_extract_pass);
    CU_add_test(s, "extract: not a capture", test_extract_not_a_capture);
}
