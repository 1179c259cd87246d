/* Rotation of the -w file as tcpdump does it (-G, -C, -W): the names, when a new file begins,
 * the ring, the size of each file, and the report's line for each file. */
#include <CUnit/CUnit.h>
#include <dirent.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "report/report.h"
#include "sniff/rotate.h"
#include "tests/suites.h"

/* 2023-11-14 22:13:20 UTC */
#define T0 ((time_t)1700000000)

static char tmpdir[64];

static void make_tmpdir(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/smtpscope-rotate-XXXXXX");
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(tmpdir));
}

static void remove_tmpdir(void)
{
    DIR *d = opendir(tmpdir);
    struct dirent *e;
    char path[512];
    while (d && (e = readdir(d)))
        if (e->d_name[0] != '.') {
            snprintf(path, sizeof path, "%s/%s", tmpdir, e->d_name);
            unlink(path);
        }
    if (d)
        closedir(d);
    rmdir(tmpdir);
}

/* The name rotate_name gives now, into a static buffer. */
static const char *name_of(const rotate_config *c, const rotate_state *s)
{
    static char out[256];
    if (rotate_name(c, s, out, sizeof out) < 0)
        return "(failed)";
    return out;
}

static void test_width(void)
{
    CU_ASSERT_EQUAL(rotate_width(0), 0);
    CU_ASSERT_EQUAL(rotate_width(1), 0);
    CU_ASSERT_EQUAL(rotate_width(2), 1);
    CU_ASSERT_EQUAL(rotate_width(10), 1);
    CU_ASSERT_EQUAL(rotate_width(11), 2);
    CU_ASSERT_EQUAL(rotate_width(100), 2);
    CU_ASSERT_EQUAL(rotate_width(101), 3);
}

static void test_parse_size(void)
{
    uint64_t b = 0;
    CU_ASSERT_EQUAL(rotate_parse_size("1", &b), 0);
    CU_ASSERT_EQUAL(b, 1000000);
    CU_ASSERT_EQUAL(rotate_parse_size("20k", &b), 0);
    CU_ASSERT_EQUAL(b, 20 * 1024);
    CU_ASSERT_EQUAL(rotate_parse_size("3M", &b), 0);
    CU_ASSERT_EQUAL(b, 3 * 1024 * 1024);
    CU_ASSERT_EQUAL(rotate_parse_size("2g", &b), 0);
    CU_ASSERT_EQUAL(b, 2ull * 1024 * 1024 * 1024);
    b = 7;
    const char *bad[] = {"",
                         "0",
                         "-1",
                         " 1",
                         "+1",
                         "1x",
                         "1kb",
                         "1.5",
                         "k",
                         "9223372036854775807",
                         "99999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CU_ASSERT_EQUAL(rotate_parse_size(bad[i], &b), -1);
    CU_ASSERT_EQUAL(b, 7); /* untouched by a refusal */
}

/* -C alone: FILE, FILE1, FILE2..., a new file only once the size is passed. */
static void test_size_names(void)
{
    rotate_config c = {.pattern = "cap.pcap", .size_limit = 1000};
    rotate_state s;
    rotate_start(&s, T0);
    CU_ASSERT_STRING_EQUAL(name_of(&c, &s), "cap.pcap");
    CU_ASSERT_EQUAL(rotate_next(&c, &s, T0 + 99, 1000), ROTATE_KEEP); /* not larger yet */
    CU_ASSERT_STRING_EQUAL(name_of(&c, &s), "cap.pcap");
    CU_ASSERT_EQUAL(rotate_next(&c, &s, T0, 1001), ROTATE_NEW);
    CU_ASSERT_STRING_EQUAL(name_of(&c, &s), "cap.pcap1");
    CU_ASSERT_EQUAL(rotate_next(&c, &s, T0, 5000), ROTATE_NEW);
    CU_ASSERT_STRING_EQUAL(name_of(&c, &s), "cap.pcap2");
    for (int i = 0; i < 8; i++)
        CU_ASSERT_EQUAL(rotate_next(&c, &s, T0, 1001), ROTATE_NEW);
    CU_ASSERT_STRING_EQUAL(name_of(&c, &s), "cap.pcap10");
}

/* -C -W: a ring, numbered from 0, zero-padded to the width of N - 1. */
static void test_ring_names(void)
{
    rotate_config c = {.pattern = "r", .size_limit = 10, .files = 3};
    rotate_state s;
    rotate_start(&s, T0);
    const char *want[] = {"r0", "r1", "r2", "r0", "r1"};
    for (size_t i = 0; i < 5; i++) {
        CU_ASSERT_STRING_EQUAL(name_of(&c, &s), want[i]);
        CU_ASSERT_EQUAL(rotate_next(&c, &s, T0, 11), ROTATE_NEW); /* a ring never ends */
    }
    c.files = 11;
    rotate_start(&s, T0);
    CU_ASSERT_STRING_EQUAL(name_of(&c, &s), "r00");
    for (int i = 0; i < 10; i++)
        rotate_next(&c, &s, T0, 11);
    CU_ASSERT_STRING_EQUAL(name_of(&c, &s), "r10");
    rotate_next(&c, &s, T0, 11);
    CU_ASSERT_STRING_EQUAL(name_of(&c, &s), "r00");
    c.files = 1; /* a ring of one: the same file over again, without a number */
    rotate_start(&s, T0);
    CU_ASSERT_EQUAL(rotate_next(&c, &s, T0, 11), ROTATE_NEW);
    CU_ASSERT_STRING_EQUAL(name_of(&c, &s), "r");
}

static void set_tz(const char *tz)
{
    setenv("TZ", tz, 1);
    tzset();
}

/* -G: the name through strftime in local time, a new one once SECONDS have passed. */
static void test_time_names(void)
{
    char *saved = getenv("TZ") ? strdup(getenv("TZ")) : NULL;
    set_tz("JST-9"); /* 9 hours east: local time is not UTC */
    rotate_config c = {.pattern = "smtp-%Y%m%d-%H%M%S.pcap", .seconds = 60};
    rotate_state s;
    rotate_start(&s, T0);
    CU_ASSERT_STRING_EQUAL(name_of(&c, &s), "smtp-20231115-071320.pcap");
    CU_ASSERT_EQUAL(rotate_next(&c, &s, T0 + 59, 1 << 30), ROTATE_KEEP); /* no -C */
    CU_ASSERT_EQUAL(rotate_next(&c, &s, T0 + 75, 0), ROTATE_NEW);
    /* the new period starts when it was noticed (the first frame after), as tcpdump */
    CU_ASSERT_STRING_EQUAL(name_of(&c, &s), "smtp-20231115-071435.pcap");
    CU_ASSERT_EQUAL(rotate_next(&c, &s, T0 + 75 + 59, 0), ROTATE_KEEP);
    c.files = 5; /* -W without -C: no number in the name */
    CU_ASSERT_EQUAL(rotate_next(&c, &s, T0 + 75 + 60, 0), ROTATE_NEW);
    CU_ASSERT_STRING_EQUAL(name_of(&c, &s), "smtp-20231115-071535.pcap");
    set_tz("UTC0");
    CU_ASSERT_STRING_EQUAL(name_of(&c, &s), "smtp-20231114-221535.pcap");
    if (saved)
        set_tz(saved);
    else {
        unsetenv("TZ");
        tzset();
    }
    free(saved);
}

/* -G -W N: N files, then the end; with -C too, -W only sets the width and the number
 * restarts at each period. */
static void test_time_limit(void)
{
    rotate_config c = {.pattern = "g", .seconds = 1, .files = 3};
    rotate_state s;
    rotate_start(&s, T0);
    CU_ASSERT_EQUAL(rotate_next(&c, &s, T0 + 1, 0), ROTATE_NEW);
    CU_ASSERT_EQUAL(rotate_next(&c, &s, T0 + 1, 0), ROTATE_KEEP);
    CU_ASSERT_EQUAL(rotate_next(&c, &s, T0 + 2, 0), ROTATE_NEW);
    CU_ASSERT_EQUAL(rotate_next(&c, &s, T0 + 3, 0), ROTATE_LIMIT);

    c = (rotate_config){.pattern = "%S-", .seconds = 10, .size_limit = 100, .files = 3};
    rotate_start(&s, T0);
    CU_ASSERT_STRING_EQUAL(name_of(&c, &s), "20-0");
    CU_ASSERT_EQUAL(rotate_next(&c, &s, T0 + 1, 101), ROTATE_NEW);
    CU_ASSERT_STRING_EQUAL(name_of(&c, &s), "20-1");
    for (int period = 1; period <= 5; period++) {
        CU_ASSERT_EQUAL(rotate_next(&c, &s, T0 + 10 * period, 101), ROTATE_NEW);
    }
    CU_ASSERT_STRING_EQUAL(name_of(&c, &s), "10-0"); /* T0 + 50: 22:14:10 */
}

static void test_bad_names(void)
{
    rotate_config c = {.pattern = ""};
    rotate_state s;
    char out[8];
    rotate_start(&s, T0);
    CU_ASSERT_EQUAL(rotate_name(&c, &s, out, sizeof out), -1);
    c.pattern = "12345678"; /* does not fit with its NUL */
    CU_ASSERT_EQUAL(rotate_name(&c, &s, out, sizeof out), -1);
    c.pattern = "1234567";
    CU_ASSERT_EQUAL(rotate_name(&c, &s, out, sizeof out), 0);
    c.size_limit = 1, c.files = 10; /* "12345670": the number does not fit */
    CU_ASSERT_EQUAL(rotate_name(&c, &s, out, sizeof out), -1);
    c = (rotate_config){.pattern = "%Y%m%d%H", .seconds = 1};
    CU_ASSERT_EQUAL(rotate_name(&c, &s, out, sizeof out), -1);
}

typedef struct seen_files {
    char names[16][300];
    uint64_t first[16];
    unsigned n;
} seen_files;

static void file_begun(void *ctx, const char *name, uint64_t first_frame)
{
    seen_files *f = ctx;
    if (f->n < 16) {
        snprintf(f->names[f->n], sizeof f->names[f->n], "%s", name);
        f->first[f->n] = first_frame;
    }
    f->n++;
}

/* Frames in a file, or -1 when it is not a capture libpcap reads. */
static long frames_in(const char *path)
{
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline(path, err);
    if (!p)
        return -1;
    struct pcap_pkthdr *h;
    const u_char *b;
    long n = 0;
    int rc;
    while ((rc = pcap_next_ex(p, &h, &b)) == 1)
        n++;
    pcap_close(p);
    return rc == PCAP_ERROR_BREAK ? n : -1;
}

static long size_of(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

static rotator *new_rotator(const rotate_config *c, pcap_t *dead, char *first_name)
{
    rotate_state s;
    char err[256];
    rotate_start(&s, T0);
    CU_ASSERT_EQUAL_FATAL(rotate_name(c, &s, first_name, 300), 0);
    FILE *f = fopen(first_name, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    rotator *r = rotator_new(c, T0, dead, f, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    return r;
}

/* -C: each file at most the limit plus one frame, every frame in exactly one file, each
 * file a capture libpcap reads, and the callback says where each begins. */
static void test_rotator_size(void)
{
    enum { FRAME = 100, RECORD = FRAME + 16, LIMIT = 1000, FRAMES = 40 };
    make_tmpdir();
    char pattern[128], first[300];
    snprintf(pattern, sizeof pattern, "%s/s.pcap", tmpdir);
    rotate_config c = {.pattern = pattern, .size_limit = LIMIT};
    pcap_t *dead = pcap_open_dead(DLT_EN10MB, 65535);
    rotator *r = new_rotator(&c, dead, first);
    seen_files seen = {.n = 0};
    rotator_on_file(r, file_begun, &seen);
    CU_ASSERT_EQUAL(seen.n, 1); /* the current file at once */
    uint8_t frame[FRAME] = {0};
    struct pcap_pkthdr h = {{T0, 0}, FRAME, FRAME};
    for (uint64_t i = 1; i <= FRAMES; i++)
        CU_ASSERT_EQUAL(rotator_write(r, i, &h, frame, T0), 0);
    rotator_close(r);
    pcap_close(dead);
    /* 24-byte header + 8 records = 952, the 9th makes 1068 > 1000: 9 frames a file */
    CU_ASSERT_EQUAL(seen.n, 5);
    long total = 0;
    for (unsigned i = 0; i < seen.n && i < 16; i++) {
        char want[300];
        if (i == 0)
            snprintf(want, sizeof want, "%s", pattern);
        else
            snprintf(want, sizeof want, "%s%u", pattern, i);
        CU_ASSERT_STRING_EQUAL(seen.names[i], want);
        CU_ASSERT_EQUAL(seen.first[i], 1 + 9 * (uint64_t)i);
        long n = frames_in(want);
        CU_ASSERT_EQUAL(n, i < 4 ? 9 : 4);
        CU_ASSERT_TRUE(size_of(want) <= LIMIT + RECORD);
        total += n;
    }
    CU_ASSERT_EQUAL(total, FRAMES);
    remove_tmpdir();
}

/* -G -W 2: the frame that would begin a third file is not written; the writer says so. */
static void test_rotator_time_limit(void)
{
    make_tmpdir();
    char pattern[128], first[300];
    snprintf(pattern, sizeof pattern, "%s/t-%%M%%S.pcap", tmpdir);
    rotate_config c = {.pattern = pattern, .seconds = 10, .files = 2};
    pcap_t *dead = pcap_open_dead(DLT_EN10MB, 65535);
    char *saved = getenv("TZ") ? strdup(getenv("TZ")) : NULL;
    setenv("TZ", "UTC0", 1);
    tzset();
    rotator *r = new_rotator(&c, dead, first);
    seen_files seen = {.n = 0};
    rotator_on_file(r, file_begun, &seen);
    uint8_t frame[60] = {0};
    struct pcap_pkthdr h = {{T0, 0}, 60, 60};
    CU_ASSERT_EQUAL(rotator_write(r, 1, &h, frame, T0 + 1), 0);
    CU_ASSERT_EQUAL(rotator_write(r, 2, &h, frame, T0 + 9), 0);
    CU_ASSERT_EQUAL(rotator_write(r, 3, &h, frame, T0 + 12), 0);
    CU_ASSERT_EQUAL(rotator_write(r, 4, &h, frame, T0 + 21), 0);
    CU_ASSERT_EQUAL(rotator_write(r, 5, &h, frame, T0 + 22), 1);
    CU_ASSERT_EQUAL(rotator_write(r, 6, &h, frame, T0 + 23), 1); /* and stays done */
    rotator_close(r);
    pcap_close(dead);
    CU_ASSERT_EQUAL_FATAL(seen.n, 2);
    CU_ASSERT_EQUAL(seen.first[1], 3);
    char want[300];
    snprintf(want, sizeof want, "%s/t-1320.pcap", tmpdir);
    CU_ASSERT_STRING_EQUAL(seen.names[0], want);
    CU_ASSERT_EQUAL(frames_in(want), 2);
    snprintf(want, sizeof want, "%s/t-1332.pcap", tmpdir);
    CU_ASSERT_STRING_EQUAL(seen.names[1], want);
    CU_ASSERT_EQUAL(frames_in(want), 2);
    if (saved)
        setenv("TZ", saved, 1);
    else
        unsetenv("TZ");
    tzset();
    free(saved);
    remove_tmpdir();
}

/* A new file that cannot be made (a symbolic link in its place) fails the write. */
static void test_rotator_refuses_link(void)
{
    make_tmpdir();
    char pattern[128], first[300], link[300], target[300];
    snprintf(pattern, sizeof pattern, "%s/l", tmpdir);
    snprintf(link, sizeof link, "%s/l1", tmpdir);
    snprintf(target, sizeof target, "%s/target", tmpdir);
    CU_ASSERT_EQUAL_FATAL(symlink(target, link), 0);
    rotate_config c = {.pattern = pattern, .size_limit = 50}; /* the header fits, a frame not */
    pcap_t *dead = pcap_open_dead(DLT_EN10MB, 65535);
    rotator *r = new_rotator(&c, dead, first);
    uint8_t frame[60] = {0};
    struct pcap_pkthdr h = {{T0, 0}, 60, 60};
    CU_ASSERT_EQUAL(rotator_write(r, 1, &h, frame, T0), 0);
    CU_ASSERT_EQUAL(rotator_write(r, 2, &h, frame, T0), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(rotator_error(r), "symbolic link"));
    CU_ASSERT_EQUAL(access(target, F_OK), -1); /* not created through the link */
    rotator_close(r);
    pcap_close(dead);
    remove_tmpdir();
}

static char *report_lines(report_format fmt, const char *name, uint64_t first)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    report *r = report_new(out, fmt, 0);
    report_capture_file(r, name, first);
    report_free(r);
    fclose(out);
    return buf;
}

/* The report's line for each file; a name's control bytes never reach the terminal. */
static void test_report_line(void)
{
    char *j = report_lines(REPORT_JSON, "/var/cap/smtp-1.pcap", 4242);
    CU_ASSERT_STRING_EQUAL(j, "{\"type\":\"capture_file\",\"file\":\"/var/cap/smtp-1.pcap\","
                              "\"first_frame\":4242}\n");
    free(j);
    char *t = report_lines(REPORT_TEXT, "a\x1b[31m.pcap", 7);
    CU_ASSERT_STRING_EQUAL(t, "capture file a\\x1b[31m.pcap begins at frame 7\n");
    free(t);
    j = report_lines(REPORT_JSON, "a\x1b.pcap", 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"file\":\"a\\u001b.pcap\""));
    free(j);
}

void add_rotate_suite(void)
{
    CU_pSuite s = CU_add_suite("rotate", NULL, NULL);
    CU_add_test(s, "-W width", test_width);
    CU_add_test(s, "-C size and units", test_parse_size);
    CU_add_test(s, "-C names", test_size_names);
    CU_add_test(s, "-C -W ring", test_ring_names);
    CU_add_test(s, "-G strftime names, local time", test_time_names);
    CU_add_test(s, "-G -W limit, -G -C", test_time_limit);
    CU_add_test(s, "names that do not fit", test_bad_names);
    CU_add_test(s, "-C files: sizes and frames", test_rotator_size);
    CU_add_test(s, "-G -W files: the end", test_rotator_time_limit);
    CU_add_test(s, "rotation refuses a symlink", test_rotator_refuses_link);
    CU_add_test(s, "report: capture_file line", test_report_line);
}
