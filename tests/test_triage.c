/* The text report's Triage stays a summary: clients that never QUIT (and mail loops, checked
 * on overload-mix by e2e) are named five at a time, the rest counted in one line. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"
#include "smtp/smtp.h"
#include "tests/suites.h"

static const int64_t T0 = 1772442000000000; /* 2026-03-02 09:00:00 UTC */
static const int64_t SEC = 1000000;

/* A clean delivery the client ends with a FIN instead of QUIT. */
static smtp_session *no_quit(int64_t t)
{
    static const char *const lines[][2] = {
        {"S", "220 mx ESMTP\r\n"},    {"C", "EHLO c\r\n"},    {"S", "250 mx\r\n"},
        {"C", "MAIL FROM:<a@x>\r\n"}, {"S", "250 ok\r\n"},    {"C", "RCPT TO:<b@y>\r\n"},
        {"S", "250 ok\r\n"},          {"C", "DATA\r\n"},      {"S", "354 go\r\n"},
        {"C", "hi\r\n.\r\n"},         {"S", "250 queued\r\n"}};
    smtp_session *s = smtp_session_new(t, 1);
    uint64_t frame = 1;
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
        smtp_feed(s, lines[i][0][0] == 'C' ? SMTP_CLIENT : SMTP_SERVER,
                  (const uint8_t *)lines[i][1], strlen(lines[i][1]), t + (int64_t)i * 1000,
                  ++frame);
    smtp_end(s, SMTP_END_FIN, SMTP_CLIENT, t + SEC, ++frame);
    return s;
}

/* clients clients, each three sessions without QUIT: the text report. */
static char *report_of(unsigned clients)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    report *r = report_new(f, REPORT_TEXT, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    uint64_t id = 0;
    for (unsigned k = 0; k < 3; k++)
        for (unsigned c = 0; c < clients; c++) {
            char client[64];
            snprintf(client, sizeof client, "198.51.100.%u:%u", c + 1, 40000 + k);
            smtp_session *s = no_quit(T0 + (int64_t)(k * clients + c) * SEC);
            report_session(r, ++id, client, "192.0.2.25:25", smtp_get_report(s));
            smtp_session_free(s);
        }
    capture_summary cap = {.source = "t.pcap", .frames = 3, .matched = 3};
    report_summary(r, &cap);
    report_free(r);
    fclose(f);
    return buf;
}

static unsigned count(const char *hay, const char *needle)
{
    unsigned n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

static void test_never_quit_bounded(void)
{
    char *few = report_of(5), *many = report_of(8);
    const char *t5 = strstr(few, "\nTriage\n"), *t8 = strstr(many, "\nTriage\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(t5);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t8);
    /* five: each named, no count line */
    CU_ASSERT_EQUAL(count(t5, "never sent QUIT in 3 sessions."), 5);
    CU_ASSERT_PTR_NULL(strstr(t5, "more clients never sent QUIT"));
    /* eight: five named, the other three counted; the section above lists all eight */
    CU_ASSERT_EQUAL(count(t8, "never sent QUIT in 3 sessions."), 5);
    CU_ASSERT_PTR_NOT_NULL(
        strstr(t8, "- 3 more clients never sent QUIT (see Clients that never send QUIT).\n"));
    CU_ASSERT_EQUAL(count(many, ": 3 sessions\n"), 8);
    free(few);
    free(many);
}

void add_triage_suite(void)
{
    CU_pSuite s = CU_add_suite("triage", NULL, NULL);
    CU_add_test(s, "clients that never QUIT: five named, the rest counted",
                test_never_quit_bounded);
}
