/* Several capture files read as one (sniff/merge.c): the merge's order (earliest first, ties
 * in command-line order, empty files), frames named by file, and how the report names them. */
#include <CUnit/CUnit.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report/report.h"
#include "sniff/sniff.h"
#include "tests/suites.h"

static void test_pick(void)
{
    sniff_head h[4] = {{1, {5, 0}}, {0, {1, 0}}, {1, {3, 0}}, {1, {3, 0}}};
    CU_ASSERT_EQUAL(sniff_merge_pick(h, 4), 2); /* earliest; 1 is not ready; 2 before 3 */
    h[2].ready = 0;
    CU_ASSERT_EQUAL(sniff_merge_pick(h, 4), 3);
    h[3].ts.tv_usec = 1;
    h[0].ts = (struct timeval){3, 1};
    CU_ASSERT_EQUAL(sniff_merge_pick(h, 4), 0); /* a tie: the lower index */
    memset(h, 0, sizeof h);
    CU_ASSERT_EQUAL(sniff_merge_pick(h, 4), -1);
    CU_ASSERT_EQUAL(sniff_merge_pick(h, 0), -1);
}

/* A pcap file of raw IPv4 frames (DLT_RAW) at these seconds; n 0: the header alone. */
static void write_file(const char *path, const int *secs, int n)
{
    pcap_t *p = pcap_open_dead(DLT_RAW, 65535);
    pcap_dumper_t *d = pcap_dump_open(p, path);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    uint8_t ip[20] = {0x45, 0, 0, 20, 0, 0, 0, 0, 64, 6};
    for (int i = 0; i < n; i++) {
        struct pcap_pkthdr h = {{secs[i], 0}, sizeof ip, sizeof ip};
        pcap_dump((u_char *)d, &h, ip);
    }
    pcap_dump_close(d);
    pcap_close(p);
}

typedef struct seen {
    uint64_t frame[16];
    long sec[16];
    int n;
} seen;

static void note(void *ctx, uint64_t frame, const struct pcap_pkthdr *hdr, const uint8_t *bytes)
{
    seen *s = ctx;
    (void)bytes;
    if (s->n < 16) {
        s->frame[s->n] = frame;
        s->sec[s->n++] = (long)hdr->ts.tv_sec;
    }
}

static void test_merge_files(void)
{
    char dir[] = "/tmp/smtpscope-merge.XXXXXX", a[64], b[64], c[64];
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    snprintf(a, sizeof a, "%s/a.pcap", dir);
    snprintf(b, sizeof b, "%s/b.pcap", dir);
    snprintf(c, sizeof c, "%s/c.pcap", dir);
    write_file(a, (const int[]){1, 3, 3}, 3);
    write_file(b, NULL, 0); /* empty: no packet, no harm */
    write_file(c, (const int[]){2, 3}, 2);
    const char *files[] = {a, b, c};
    char err[512] = "";
    sniff_config cfg = {.files = files, .nfiles = 3};
    sniff *sn = sniff_open(&cfg, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sn);
    seen s = {0};
    CU_ASSERT_EQUAL(sniff_loop(sn, note, &s), 0);
    CU_ASSERT_EQUAL_FATAL(s.n, 5);
    /* time order; at 3 s a's two frames first (it is first on the command line) */
    const uint64_t want[] = {sniff_frame_make(0, 1), sniff_frame_make(2, 1), sniff_frame_make(0, 2),
                             sniff_frame_make(0, 3), sniff_frame_make(2, 2)};
    const long secs[] = {1, 2, 3, 3, 3};
    for (int i = 0; i < 5; i++) {
        CU_ASSERT_EQUAL(s.frame[i], want[i]);
        CU_ASSERT_EQUAL(s.sec[i], secs[i]);
    }
    CU_ASSERT_EQUAL(sniff_get_stats(sn)->frames, 5);
    sniff_close(sn);
    unlink(a), unlink(b), unlink(c), rmdir(dir);
}

static void test_frame_names(void)
{
    const char *files[] = {"captures/smtp-09.pcap", "smtp-10.pcap.gz"};
    report_frame_files(NULL, 0);
    CU_ASSERT_FALSE(report_frame_named());
    CU_ASSERT_STRING_EQUAL(report_frame_ref(1234).s, "1234");
    CU_ASSERT_EQUAL(report_frame_pack32(1234), 1234);
    CU_ASSERT_EQUAL(report_frame_pack32((uint64_t)1 << 33), UINT32_MAX); /* saturates */
    report_frame_files(files, 2);
    CU_ASSERT_TRUE(report_frame_named());
    CU_ASSERT_STRING_EQUAL(report_frame_ref(1234).s, "smtp-09.pcap#1234");
    CU_ASSERT_STRING_EQUAL(report_frame_ref(sniff_frame_make(1, 7)).s, "smtp-10.pcap.gz#7");
    uint64_t f = sniff_frame_make(1, 99);
    CU_ASSERT_EQUAL(report_frame_unpack32(report_frame_pack32(f)), f);
    CU_ASSERT_EQUAL(report_frame_unpack32(report_frame_pack32(5)), 5);
    report_frame_files(NULL, 0);
    CU_ASSERT_STRING_EQUAL(report_frame_ref(sniff_frame_make(0, 3)).s, "3");
}

void add_merge_suite(void)
{
    CU_pSuite s = CU_add_suite("merge", NULL, NULL);
    CU_add_test(s, "the next file: earliest, ties in order", test_pick);
    CU_add_test(s, "three files, one empty, merged by time", test_merge_files);
    CU_add_test(s, "frames named FILE#N, packed in 32 bits", test_frame_names);
}
