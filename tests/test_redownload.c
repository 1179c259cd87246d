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

/* ---- the window and the budget ---- */

static const int64_t HOUR = 3600 * SEC;

static void test_beyond_window(void)
{
    redownload *rd = redownload_new();
    redownload_set_window(rd, HOUR, 0);
    session_spec a = {0, 5, "bob", 1, {{"<a@x>", "U1", 0}}};
    session_spec b = {7200, 7205, "bob", 1, {{"<a@x>", "U1", 0}}};
    session_spec c = {7300, 7305, "bob", 1, {{"<a@x>", "U1", 0}}};
    add(rd, 1, "198.51.100.7:40001", &a);
    add(rd, 2, "198.51.100.7:40002", &b);
    rd_counts n;
    redownload_counts(rd, &n);
    CU_ASSERT_EQUAL(n.expired, 1); /* session 1's download, two hours before session 2 */
    CU_ASSERT_EQUAL(n.sessions_expired, 1);
    CU_ASSERT_EQUAL(n.sessions, 1);
    redownload_finish(rd);
    CU_ASSERT_EQUAL(redownload_count(rd), 0);
    add(rd, 3, "198.51.100.7:40003", &c); /* within the hour of session 2: a group */
    redownload_finish(rd);
    CU_ASSERT_EQUAL_FATAL(redownload_count(rd), 1);
    const rd_message *m = redownload_message(rd, 0);
    CU_ASSERT_EQUAL(m->n, 2);
    CU_ASSERT_EQUAL(redownload_session_at(rd, redownload_download(rd, m->first)->session)->id, 2);
    redownload_free(rd);
}

typedef struct left {
    unsigned calls, downloads;
    uint64_t sessions[4];
    char mid[64];
} left;

static void on_leave(void *ctx, const redownload *rd, const rd_message *m)
{
    left *l = ctx;
    l->calls++;
    l->downloads = m->n;
    snprintf(l->mid, sizeof l->mid, "%s", m->message_id ? m->message_id : "");
    unsigned k = 0;
    for (uint32_t d = m->first; d != UINT32_MAX && k < 4; d = redownload_download(rd, d)->next)
        l->sessions[k++] = redownload_session_at(rd, redownload_download(rd, d)->session)->id;
}

/* A group whose first download leaves is handed over once, whole, and not kept for the end;
 * its later download leaving after it hands nothing more. */
static void test_group_leaves_final(void)
{
    redownload *rd = redownload_new();
    left l = {0};
    redownload_set_window(rd, HOUR, 0);
    redownload_set_sink(rd, on_leave, &l);
    session_spec a = {0, 5, "bob", 1, {{"<a@x>", "U1", 0}}};
    session_spec b = {600, 605, "bob", 1, {{"<a@x>", "U1", 0}, {"<b@x>", "U2", 0}}};
    session_spec c = {3700, 3705, "bob", 1, {{"<c@x>", "U3", 0}}};
    session_spec d = {9000, 9005, "bob", 1, {{"<d@x>", "U4", 0}}};
    add(rd, 1, "198.51.100.7:40001", &a);
    add(rd, 2, "198.51.100.7:40002", &b);
    CU_ASSERT_EQUAL(l.calls, 0);
    add(rd, 3, "198.51.100.7:40003", &c); /* session 1 leaves, and <a@x> with it */
    CU_ASSERT_EQUAL_FATAL(l.calls, 1);
    CU_ASSERT_EQUAL(l.downloads, 2);
    CU_ASSERT_STRING_EQUAL(l.mid, "<a@x>");
    CU_ASSERT_EQUAL(l.sessions[0], 1);
    CU_ASSERT_EQUAL(l.sessions[1], 2);
    add(rd, 4, "198.51.100.7:40004", &d); /* sessions 2 and 3 leave */
    CU_ASSERT_EQUAL(l.calls, 1);
    rd_counts n;
    redownload_counts(rd, &n);
    CU_ASSERT_EQUAL(n.groups_expired, 1);
    CU_ASSERT_EQUAL(n.sessions_expired, 3);
    CU_ASSERT_EQUAL(n.expired, 4);
    CU_ASSERT_EQUAL(n.messages, 1);
    redownload_finish(rd);
    CU_ASSERT_EQUAL(redownload_count(rd), 0);
    redownload_free(rd);
}

/* A mailbox's overlapping sessions stay listed while held; once they left, the mailbox is
 * still reported, with its counts and times. */
static void test_concurrent_mailbox_outlives_sessions(void)
{
    redownload *rd = redownload_new();
    redownload_set_window(rd, HOUR, 0);
    session_spec a = {0, 10, "bob", 1, {{"<a@x>", "U1", 1}}};
    session_spec b = {2, 12, "bob", 1, {{"<b@x>", "U2", 1}}};
    session_spec c = {9000, 9005, "alice", 1, {{"<c@x>", "U3", 1}}};
    add(rd, 1, "198.51.100.7:40001", &a);
    CU_ASSERT_EQUAL(add(rd, 2, "198.51.100.9:40001", &b), 1);
    add(rd, 3, "198.51.100.7:40002", &c);
    CU_ASSERT_EQUAL_FATAL(redownload_nmailboxes(rd), 1);
    uint32_t s[REDOWNLOAD_LISTED];
    unsigned total, n = redownload_mailbox_sessions(rd, 0, s, &total);
    CU_ASSERT_EQUAL(n, 0);
    CU_ASSERT_EQUAL(total, 2);
    int64_t first, last;
    uint32_t box = redownload_concurrent_mailbox(rd, 0, &first, &last);
    CU_ASSERT_STRING_EQUAL(redownload_mailbox(rd, box), "bob@192.0.2.110");
    CU_ASSERT_EQUAL(first, T0);
    CU_ASSERT_EQUAL(last, T0 + 12 * SEC);
    unsigned no_flags;
    CU_ASSERT_EQUAL(redownload_late_flagged(rd, &no_flags), 1);
    redownload_free(rd);
}

/* Session i of 200,000 (one a second): a mailbox per 50 sessions and a client per session (the
 * name tables must be rebuilt to stay within the budget), a new message each, and the 25th
 * session of each mailbox downloads again the message of its 5th. */
enum { SOAK_SESSIONS = 200000, SOAK_BUDGET = 1 << 20 };

static void soak_session(redownload *rd, unsigned i)
{
    char user[32], client[40], mid[2][40], uidl[2][16];
    snprintf(user, sizeof user, "user%u", i / 50);
    snprintf(client, sizeof client, "10.%u.%u.%u:40000", (i >> 16) & 255, (i >> 8) & 255, i & 255);
    session_spec sp = {i, i + 0.5, user, 1, {{0}}};
    unsigned again = i % 50 == 25 ? i - 20 : UINT32_MAX;
    for (unsigned k = 0; k < 2; k++) {
        unsigned which = k ? again : i;
        if (which == UINT32_MAX)
            break;
        snprintf(mid[k], sizeof mid[k], "<m%u@x>", which);
        snprintf(uidl[k], sizeof uidl[k], "U%u", which);
        sp.m[k] = (msg_spec){mid[k], uidl[k], 0};
    }
    add(rd, i + 1, client, &sp);
}

static void count_left(void *ctx, const redownload *rd, const rd_message *m)
{
    (void)rd;
    *(unsigned *)ctx += m->n == 2;
}

static void test_budget_soak(void)
{
    redownload *rd = redownload_new();
    unsigned left_groups = 0, over = 0;
    redownload_set_window(rd, 0, SOAK_BUDGET);
    redownload_set_sink(rd, count_left, &left_groups);
    rd_counts n;
    for (unsigned i = 0; i < SOAK_SESSIONS; i++) {
        soak_session(rd, i);
        redownload_counts(rd, &n);
        over += n.bytes > SOAK_BUDGET;
    }
    CU_ASSERT_EQUAL(over, 0);
    CU_ASSERT(n.peak <= SOAK_BUDGET);
    CU_ASSERT(n.sessions_expired > SOAK_SESSIONS / 2); /* it let go, and holds the rest */
    CU_ASSERT(n.sessions > 1000);
    redownload_finish(rd);
    /* every re-download, 20 sessions after the first, was found: written as it left or now */
    CU_ASSERT_EQUAL(left_groups + redownload_count(rd), SOAK_SESSIONS / 50);
    CU_ASSERT_EQUAL(n.groups_expired, left_groups);
    for (unsigned i = 0; i < redownload_count(rd); i++)
        CU_ASSERT_EQUAL(redownload_message(rd, i)->n, 2);
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
    CU_add_test(s, "beyond the window", test_beyond_window);
    CU_add_test(s, "a group leaving is final once", test_group_leaves_final);
    CU_add_test(s, "concurrent mailbox outlives its sessions",
                test_concurrent_mailbox_outlives_sessions);
    CU_add_test(s, "200,000 sessions within the budget", test_budget_soak);
}
