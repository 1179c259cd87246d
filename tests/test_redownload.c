/* The POP3 correlator: messages downloaded again across sessions, their causes, and
 * overlapping sessions of one mailbox from different clients. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <string.h>

#include "report/redownload.h"
#include "tests/suites.h"

static const int64_t T0 = 1772442000000000;
static const int64_t SEC = 1000000;

/* One message of a session: its Message-ID, UIDL (NULL: unknown), what became of it. */
typedef struct msg_spec {
    const char *mid, *uidl;
    int deleted;
} msg_spec;

typedef struct session_spec {
    double start, end; /* seconds after T0 */
    const char *user;
    int quit_ok; /* QUIT answered +OK: DELEs committed */
    msg_spec m[4];
} session_spec;

static pop3_msg msgs[4];

static void fill_msg(pop3_msg *m, unsigned number, const msg_spec *x, int64_t at, int quit_ok)
{
    memset(m, 0, sizeof *m);
    m->number = number;
    m->retrieved = m->complete = 1;
    m->deleted = (uint8_t)x->deleted;
    m->committed = (uint8_t)(x->deleted && quit_ok);
    m->retr_at = (pop3_ref){number * 10, at};
    m->dele_at = (pop3_ref){x->deleted ? number * 10 + 1 : 0, at};
    snprintf(m->message_id, sizeof m->message_id, "%s", x->mid);
    if (x->uidl) {
        snprintf(m->uidl, sizeof m->uidl, "%s", x->uidl);
        m->uidl_known = 1;
    }
}

/* Records the session; returns what redownload_session says (flagged concurrent). */
static int add(redownload *rd, uint64_t id, const char *client, const session_spec *sp)
{
    pop3_report r;
    memset(&r, 0, sizeof r);
    r.start = T0 + (int64_t)(sp->start * SEC);
    r.end = T0 + (int64_t)(sp->end * SEC);
    r.login = 1;
    r.closed_by = sp->quit_ok ? FLOW_SERVER : FLOW_CLIENT;
    r.end_reason = sp->quit_ok ? FLOW_END_FIN : FLOW_END_RST;
    r.end_frame = 99;
    r.quit = r.quit_reply = sp->quit_ok;
    snprintf(r.mailbox, sizeof r.mailbox, "%s", sp->user);
    unsigned n = 0;
    while (n < 4 && sp->m[n].mid) {
        fill_msg(&msgs[n], n + 1, &sp->m[n], r.start + SEC / 10, sp->quit_ok);
        n++;
    }
    r.msgs = msgs;
    r.nmsgs = n;
    return redownload_session(rd, id, client, "192.0.2.110:110", &r);
}

static unsigned lead_cause(redownload *rd, unsigned i)
{
    rd_cause c[POP3_CAUSE_COUNT];
    unsigned n = redownload_causes(rd, redownload_message(rd, i), c);
    return n ? c[0].id : POP3_CAUSE_COUNT;
}

static void test_rollback(void)
{
    redownload *rd = redownload_new();
    session_spec s1 = {0, 5, "bob", 0, {{"<a@x>", "U1", 1}, {"<b@x>", "U2", 1}}};
    session_spec s2 = {60, 65, "bob", 1, {{"<a@x>", "U1", 1}, {"<b@x>", "U2", 1}}};
    add(rd, 1, "198.51.100.7:40001", &s1);
    add(rd, 2, "198.51.100.7:40002", &s2);
    redownload_finish(rd);
    CU_ASSERT_EQUAL(redownload_count(rd), 2);
    const rd_message *m = redownload_message(rd, 0);
    CU_ASSERT_EQUAL(m->n, 2);
    CU_ASSERT_STRING_EQUAL(redownload_mailbox(rd, m->mailbox), "bob@192.0.2.110");
    CU_ASSERT_STRING_EQUAL(m->message_id, "<a@x>");
    CU_ASSERT_STRING_EQUAL(m->uidl, "U1");
    CU_ASSERT_EQUAL(lead_cause(rd, 0), POP3_CAUSE_ROLLBACK);
    CU_ASSERT_EQUAL(redownload_nmailboxes(rd), 0);
    redownload_free(rd);
}

static void test_leave_on_server(void)
{
    redownload *rd = redownload_new();
    session_spec s = {0, 5, "bob", 1, {{"<a@x>", NULL, 0}}};
    for (unsigned i = 0; i < 3; i++) {
        s.start = 300.0 * i;
        s.end = s.start + 5;
        add(rd, i + 1, "198.51.100.7:40001", &s);
    }
    redownload_finish(rd);
    CU_ASSERT_EQUAL_FATAL(redownload_count(rd), 1);
    CU_ASSERT_EQUAL(redownload_message(rd, 0)->n, 3);
    CU_ASSERT_PTR_NULL(redownload_message(rd, 0)->uidl);
    CU_ASSERT_EQUAL(lead_cause(rd, 0), POP3_CAUSE_LEAVE_ON_SERVER);
    redownload_free(rd);
}

/* Two clients at once: both sessions flagged (the later at once), the message is theirs. */
static void test_concurrent_collectors(void)
{
    redownload *rd = redownload_new();
    session_spec a = {0, 10, "bob", 1, {{"<a@x>", "U1", 1}}};
    session_spec b = {2, 12, "bob", 1, {{"<a@x>", "U1", 1}}};
    CU_ASSERT_EQUAL(add(rd, 1, "198.51.100.7:40001", &a), 0);
    CU_ASSERT_EQUAL(add(rd, 2, "198.51.100.9:40001", &b), 1);
    redownload_finish(rd);
    CU_ASSERT_EQUAL_FATAL(redownload_count(rd), 1);
    CU_ASSERT_EQUAL(lead_cause(rd, 0), POP3_CAUSE_CONCURRENT);
    CU_ASSERT_EQUAL_FATAL(redownload_nmailboxes(rd), 1);
    uint32_t s[REDOWNLOAD_LISTED];
    unsigned total, n = redownload_mailbox_sessions(rd, 0, s, &total);
    CU_ASSERT_EQUAL(n, 2);
    CU_ASSERT_EQUAL(total, 2);
    CU_ASSERT_EQUAL(redownload_session_at(rd, s[0])->id, 1);
    CU_ASSERT_EQUAL(redownload_session_at(rd, s[1])->id, 2);
    unsigned no_flags, late = redownload_late_flagged(rd, &no_flags);
    CU_ASSERT_EQUAL(late, 1); /* session 1's line was written before session 2 ended */
    CU_ASSERT_EQUAL(no_flags, 1);
    redownload_free(rd);
}

static void test_downloaded_once(void)
{
    redownload *rd = redownload_new();
    session_spec s = {0, 5, "bob", 1, {{"<a@x>", "U1", 0}, {"<b@x>", "U2", 0}}};
    add(rd, 1, "198.51.100.7:40001", &s);
    redownload_finish(rd);
    CU_ASSERT_EQUAL(redownload_count(rd), 0);
    redownload_free(rd);
}

/* Deleted and committed; a new message with the same Message-ID (delivered twice by SMTP) but
 * its own UIDL is another message, not a re-download. */
static void test_new_uidl_is_new_message(void)
{
    redownload *rd = redownload_new();
    session_spec s1 = {0, 5, "bob", 1, {{"<a@x>", "U1", 1}}};
    session_spec s2 = {60, 65, "bob", 1, {{"<a@x>", "U2", 1}, {"<c@x>", "U3", 1}}};
    add(rd, 1, "198.51.100.7:40001", &s1);
    add(rd, 2, "198.51.100.7:40002", &s2);
    redownload_finish(rd);
    CU_ASSERT_EQUAL(redownload_count(rd), 0);
    redownload_free(rd);
}

static void test_different_mailboxes(void)
{
    redownload *rd = redownload_new();
    session_spec a = {0, 10, "bob", 1, {{"<a@x>", "U1", 0}}};
    session_spec b = {2, 12, "alice", 1, {{"<a@x>", "U1", 0}}};
    CU_ASSERT_EQUAL(add(rd, 1, "198.51.100.7:40001", &a), 0);
    CU_ASSERT_EQUAL(add(rd, 2, "198.51.100.9:40001", &b), 0);
    redownload_finish(rd);
    CU_ASSERT_EQUAL(redownload_count(rd), 0);
    CU_ASSERT_EQUAL(redownload_nmailboxes(rd), 0);
    redownload_free(rd);
}

/* One client, one session after the other (ports differ): not two collectors, not
 * concurrent; leave_on_server. */
static void test_same_client_sequential(void)
{
    redownload *rd = redownload_new();
    session_spec a = {0, 10, "bob", 1, {{"<a@x>", "U1", 0}}};
    session_spec b = {20, 30, "bob", 1, {{"<a@x>", "U1", 0}}};
    CU_ASSERT_EQUAL(add(rd, 1, "198.51.100.7:40001", &a), 0);
    CU_ASSERT_EQUAL(add(rd, 2, "198.51.100.7:40002", &b), 0);
    redownload_finish(rd);
    CU_ASSERT_EQUAL_FATAL(redownload_count(rd), 1);
    rd_cause c[POP3_CAUSE_COUNT];
    unsigned n = redownload_causes(rd, redownload_message(rd, 0), c);
    CU_ASSERT_EQUAL(n, 1);
    CU_ASSERT_EQUAL(c[0].id, POP3_CAUSE_LEAVE_ON_SERVER);
    CU_ASSERT_EQUAL(redownload_nmailboxes(rd), 0);
    redownload_free(rd);
}

/* A session without UIDL finds the message by Message-ID; a cut session that was DELEting
 * others leaves its not-yet-DELEd message rolled back, leave_on_server second. */
static void test_cut_before_dele(void)
{
    redownload *rd = redownload_new();
    session_spec s1 = {0, 5, "bob", 0, {{"<a@x>", "U1", 1}, {"<b@x>", "U2", 0}}};
    session_spec s2 = {60, 65, "bob", 1, {{"<a@x>", NULL, 1}, {"<b@x>", NULL, 1}}};
    add(rd, 1, "198.51.100.7:40001", &s1);
    add(rd, 2, "198.51.100.7:40002", &s2);
    redownload_finish(rd);
    CU_ASSERT_EQUAL_FATAL(redownload_count(rd), 2);
    rd_cause c[POP3_CAUSE_COUNT];
    unsigned n = redownload_causes(rd, redownload_message(rd, 1), c);
    CU_ASSERT_STRING_EQUAL(redownload_message(rd, 1)->message_id, "<b@x>");
    CU_ASSERT_EQUAL_FATAL(n, 2);
    CU_ASSERT_EQUAL(c[0].id, POP3_CAUSE_ROLLBACK);
    CU_ASSERT_EQUAL(c[1].id, POP3_CAUSE_LEAVE_ON_SERVER);
    redownload_free(rd);
}

static void test_cause_table(void)
{
    CU_ASSERT_STRING_EQUAL(pop3_cause_name(POP3_CAUSE_ROLLBACK), "pop3_rollback");
    CU_ASSERT_STRING_EQUAL(pop3_cause_name(POP3_CAUSE_CONCURRENT), "concurrent_collectors");
    CU_ASSERT_STRING_EQUAL(pop3_cause_name(POP3_CAUSE_LEAVE_ON_SERVER), "leave_on_server");
    CU_ASSERT_PTR_NOT_NULL(strstr(pop3_cause_fix(POP3_CAUSE_LEAVE_ON_SERVER), "UIDL"));
    CU_ASSERT_STRING_EQUAL(pop3_cause_name(POP3_CAUSE_COUNT), "?");
}

void add_redownload_suite(void)
{
    CU_pSuite s = CU_add_suite("redownload", NULL, NULL);
    CU_add_test(s, "rollback", test_rollback);
    CU_add_test(s, "leave on server", test_leave_on_server);
    CU_add_test(s, "concurrent collectors", test_concurrent_collectors);
    CU_add_test(s, "downloaded once", test_downloaded_once);
    CU_add_test(s, "new UIDL is a new message", test_new_uidl_is_new_message);
    CU_add_test(s, "different mailboxes", test_different_mailboxes);
    CU_add_test(s, "same client sequential", test_same_client_sequential);
    CU_add_test(s, "cut before DELE", test_cut_before_dele);
    CU_add_test(s, "cause table", test_cause_table);
}
