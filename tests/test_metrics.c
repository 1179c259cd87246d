/* metrics: the exposition text of a snapshot, label escaping and the atomic file write. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "metrics/metrics.h"
#include "tests/suites.h"

static const metrics_flag flags[] = {
    {"smtp", "split_eod_unacked", 3},
    {"pop3", "missing_quit", 1},
};

static metrics_snapshot sample(void)
{
    return (metrics_snapshot){.packets = 120,
                              .packets_matched = 100,
                              .drops_kernel = 7,
                              .drops_interface = 2,
                              .sessions_smtp = 9,
                              .sessions_pop3 = 4,
                              .flagged = 4,
                              .flags = flags,
                              .nflags = 2,
                              .not_analysed = 5,
                              .connects_failed = 6,
                              .duplicate_groups = 2,
                              .correlation_expired = 11,
                              .open_sessions = 3,
                              .resident_bytes = 4096000,
                              .correlation_bytes = 12345,
                              .interface = "eth0",
                              .interface_up = 1};
}

static char *render(const metrics_snapshot *s)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_EQUAL(metrics_write(f, s), 0);
    fclose(f);
    return text;
}

/* line is a whole line of text. */
static int has_line(const char *text, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = text; (p = strstr(p, line)) != NULL; p++)
        if ((p == text || p[-1] == '\n') && p[n] == '\n')
            return 1;
    return 0;
}

static void test_series(void)
{
    metrics_snapshot s = sample();
    char *t = render(&s);
    CU_ASSERT(has_line(t, "smtpscope_packets_total 120"));
    CU_ASSERT(has_line(t, "smtpscope_packets_matched_total 100"));
    CU_ASSERT(has_line(t, "smtpscope_drops_total{where=\"kernel\"} 7"));
    CU_ASSERT(has_line(t, "smtpscope_drops_total{where=\"interface\"} 2"));
    CU_ASSERT(has_line(t, "smtpscope_sessions_total{protocol=\"smtp\"} 9"));
    CU_ASSERT(has_line(t, "smtpscope_sessions_total{protocol=\"pop3\"} 4"));
    CU_ASSERT(has_line(t, "smtpscope_flags_total{protocol=\"smtp\",flag=\"split_eod_unacked\"} 3"));
    CU_ASSERT(has_line(t, "smtpscope_flags_total{protocol=\"pop3\",flag=\"missing_quit\"} 1"));
    CU_ASSERT(has_line(t, "smtpscope_duplicate_groups_total 2"));
    CU_ASSERT(has_line(t, "smtpscope_correlation_expired_total 11"));
    CU_ASSERT(has_line(t, "smtpscope_open_sessions 3"));
    CU_ASSERT(has_line(t, "smtpscope_resident_bytes 4096000"));
    CU_ASSERT(has_line(t, "smtpscope_correlation_bytes 12345"));
    CU_ASSERT(has_line(t, "smtpscope_interface_up{interface=\"eth0\"} 1"));
    CU_ASSERT(has_line(t, "# TYPE smtpscope_packets_total counter"));
    CU_ASSERT(has_line(t, "# TYPE smtpscope_open_sessions gauge"));
    free(t);
}

/* Every sample's metric has its HELP and TYPE before it, each once; counters end _total. */
static void test_help_and_type(void)
{
    metrics_snapshot s = sample();
    char *t = render(&s), *save = NULL;
    char last[128] = "";
    int types = 0;
    for (char *line = strtok_r(t, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char name[128], type[32];
        if (sscanf(line, "# TYPE %127s %31s", name, type) == 2) {
            CU_ASSERT_STRING_NOT_EQUAL(name, last);
            size_t n = strlen(name);
            int total = n > 6 && !strcmp(name + n - 6, "_total");
            CU_ASSERT_EQUAL(total, !strcmp(type, "counter"));
            snprintf(last, sizeof last, "%s", name);
            types++;
        } else if (line[0] != '#') {
            CU_ASSERT_EQUAL(strncmp(line, last, strlen(last)), 0);
            CU_ASSERT(line[strlen(last)] == ' ' || line[strlen(last)] == '{');
        } else {
            CU_ASSERT_EQUAL(strncmp(line, "# HELP smtpscope_", 17), 0);
        }
    }
    CU_ASSERT_EQUAL(types, 14);
    free(t);
}

static void test_no_interface(void)
{
    metrics_snapshot s = sample();
    s.interface = NULL;
    char *t = render(&s);
    CU_ASSERT_PTR_NULL(strstr(t, "interface_up"));
    free(t);
    s.interface = "eth1";
    s.interface_up = 0;
    t = render(&s);
    CU_ASSERT(has_line(t, "smtpscope_interface_up{interface=\"eth1\"} 0"));
    free(t);
}

static void test_label_escape(void)
{
    char out[64];
    CU_ASSERT_EQUAL(metrics_label_value(out, sizeof out, "a\"b\\c\nd"), 10);
    CU_ASSERT_STRING_EQUAL(out, "a\\\"b\\\\c\\nd");
    metrics_label_value(out, sizeof out, "x\x1b[2J\x7f\xc3\xa9y");
    CU_ASSERT_STRING_EQUAL(out, "x?[2J???y");
    /* never half an escape: "ab" + 2 bytes needs 5 with the NUL */
    CU_ASSERT_EQUAL(metrics_label_value(out, 4, "ab\"c"), 2);
    CU_ASSERT_STRING_EQUAL(out, "ab");
    CU_ASSERT_EQUAL(metrics_label_value(out, 5, "ab\"c"), 4);
    CU_ASSERT_STRING_EQUAL(out, "ab\\\"");
    metrics_snapshot s = sample();
    s.interface = "ve\"th\\0";
    char *t = render(&s);
    CU_ASSERT(has_line(t, "smtpscope_interface_up{interface=\"ve\\\"th\\\\0\"} 1"));
    free(t);
}

static void test_file(void)
{
    char dir[] = "/tmp/smtpscope-metrics-XXXXXX", path[128], tmp[140], err[512];
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/smtpscope.prom", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    metrics_snapshot s = sample();
    CU_ASSERT_EQUAL(metrics_file_write(path, &s, err, sizeof err), 0);
    s.packets = 121;
    CU_ASSERT_EQUAL(metrics_file_write(path, &s, err, sizeof err), 0);
    char *want = render(&s), got[8192] = "";
    FILE *f = fopen(path, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    size_t n = fread(got, 1, sizeof got - 1, f);
    fclose(f);
    got[n] = '\0';
    CU_ASSERT_STRING_EQUAL(got, want);
    free(want);
    CU_ASSERT_NOT_EQUAL(access(tmp, F_OK), 0); /* renamed away */
    /* a link planted at the temporary name is not written through */
    CU_ASSERT_EQUAL(symlink("/tmp/smtpscope-metrics-never", tmp), 0);
    CU_ASSERT_EQUAL(metrics_file_write(path, &s, err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "cannot create"));
    CU_ASSERT_NOT_EQUAL(access("/tmp/smtpscope-metrics-never", F_OK), 0);
    unlink(tmp);
    unlink(path);
    rmdir(dir);
    /* a directory that is not there */
    CU_ASSERT_EQUAL(metrics_file_write("/nonexistent-dir/x.prom", &s, err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "/nonexistent-dir/x.prom.tmp"));
}

void add_metrics_suite(void)
{
    CU_pSuite s = CU_add_suite("metrics", NULL, NULL);
    CU_add_test(s, "the series and their values", test_series);
    CU_add_test(s, "HELP and TYPE before each metric, counters _total", test_help_and_type);
    CU_add_test(s, "the interface gauge only live", test_no_interface);
    CU_add_test(s, "label values escaped", test_label_escape);
    CU_add_test(s, "the file replaced atomically", test_file);
}
