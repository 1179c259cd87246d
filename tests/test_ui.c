/* The ui model and timeline (no terminal): axis, strips, event mapping, bounds, rows. */
#include <CUnit/CUnit.h>
#include <stdlib.h>
#include <string.h>

#include "pop3/pop3.h"
#include "report/report.h"
#include "smtp/smtp.h"
#include "tests/suites.h"
#include "ui/model.h"

static const int64_t T0 = 1772442000000000; /* 2026-03-02 09:00:00 UTC */
#define SEC 1000000

/* ---- helpers: hand-made SMTP events ---- */

static void greet(ui_model *m, ui_session *s, double t, int masked)
{
    smtp_event e = {
        .kind = SMTP_EV_GREETING, .ts = T0 + (int64_t)(t * SEC), .code = 220, .masked = masked};
    ui_model_smtp_event(m, s, &e);
}

static void cmd(ui_model *m, ui_session *s, double t, smtp_verb v)
{
    smtp_event e = {.kind = SMTP_EV_COMMAND, .ts = T0 + (int64_t)(t * SEC), .verb = v};
    ui_model_smtp_event(m, s, &e);
}

static void reply(ui_model *m, ui_session *s, double t, smtp_verb v, int code)
{
    smtp_event e = {.kind = SMTP_EV_REPLY, .ts = T0 + (int64_t)(t * SEC), .verb = v, .code = code};
    ui_model_smtp_event(m, s, &e);
}

/* End of data whose terminator lay in the segments at times t[0..n-1] (frames 100+i). */
static void eod(ui_model *m, ui_session *s, const double *t, int n)
{
    smtp_eod d = {.seen = 1, .nparts = n};
    for (int i = 0; i < n; i++)
        d.part[i] = (smtp_seg_ref){.frame = 100 + (uint64_t)i, .ts = T0 + (int64_t)(t[i] * SEC)};
    smtp_event e = {.kind = SMTP_EV_EOD, .ts = d.part[n - 1].ts, .eod = &d};
    ui_model_smtp_event(m, s, &e);
}

/* A session's report as the pipeline hands it over. */
static const flow_report *as_flow(const smtp_report *r)
{
    static flow_report f;
    f = (flow_report){.proto = PROTO_SMTP, .report = r};
    return &f;
}

static void end_session(ui_model *m, ui_session *s, double t, unsigned flags)
{
    smtp_report r = {.flags = flags, .end_reason = SMTP_END_FIN, .end = T0 + (int64_t)(t * SEC)};
    ui_model_end(m, s, as_flow(&r), "report\n", 7);
}

/* connect 0, banner 1, EHLO 2 (250), MAIL 3, RCPT 4, DATA 5 (354). */
static ui_session *prelude(ui_model *m, uint64_t id)
{
    ui_session *s = ui_model_open(m, id, "198.51.100.20:51234", "192.0.2.40:25", T0, 1, NULL);
    greet(m, s, 1, 0);
    cmd(m, s, 2, SMTP_VERB_EHLO);
    reply(m, s, 2.1, SMTP_VERB_EHLO, 250);
    cmd(m, s, 3, SMTP_VERB_MAIL);
    reply(m, s, 3.1, SMTP_VERB_MAIL, 250);
    cmd(m, s, 4, SMTP_VERB_RCPT);
    reply(m, s, 4.1, SMTP_VERB_RCPT, 250);
    cmd(m, s, 5, SMTP_VERB_DATA);
    reply(m, s, 5.1, SMTP_VERB_DATA, 354);
    return s;
}

static unsigned kind_at(const ui_session *s, unsigned i)
{
    return ui_session_event(s, i)->kind;
}

/* ---- axis ---- */

static void test_axis_column(void)
{
    ui_axis a = {.start = T0, .span = 100, .width = 10};
    CU_ASSERT_EQUAL(ui_axis_column(&a, T0), 0);
    CU_ASSERT_EQUAL(ui_axis_column(&a, T0 + 9), 0);
    CU_ASSERT_EQUAL(ui_axis_column(&a, T0 + 10), 1);
    CU_ASSERT_EQUAL(ui_axis_column(&a, T0 + 99), 9);
    CU_ASSERT_EQUAL(ui_axis_column(&a, T0 + 100), -1);
    CU_ASSERT_EQUAL(ui_axis_column(&a, T0 - 1), -1);
    CU_ASSERT_EQUAL(ui_axis_column(&a, INT64_MAX), -1);
    CU_ASSERT_EQUAL(ui_axis_column(&a, INT64_MIN), -1);
    a.width = 0;
    CU_ASSERT_EQUAL(ui_axis_column(&a, T0), -1);
    /* A huge span must not overflow the multiplication. */
    ui_axis big = {.start = 0, .span = INT64_MAX, .width = 1000};
    CU_ASSERT_EQUAL(ui_axis_column(&big, INT64_MAX - 1), 999);
    CU_ASSERT_EQUAL(ui_axis_column(&big, INT64_MAX / 2), 499);
}

static void test_axis_fit(void)
{
    ui_axis a = ui_axis_fit(T0, T0 + 99 * (int64_t)SEC, 100);
    CU_ASSERT_EQUAL(a.width, 100);
    CU_ASSERT_EQUAL(a.start, T0);
    CU_ASSERT_EQUAL(ui_axis_column(&a, T0), 0);
    CU_ASSERT_EQUAL(ui_axis_column(&a, T0 + 99 * (int64_t)SEC), 94); /* 5% margin right */
    /* One instant: at least a millisecond per column, still inside. */
    a = ui_axis_fit(T0, T0, 50);
    CU_ASSERT_EQUAL(a.span, 50 * 1000);
    CU_ASSERT_EQUAL(ui_axis_column(&a, T0), 0);
    /* "to" is always inside and never in the last column (when there are several). */
    for (int w = 1; w <= 200; w += 7) {
        for (int64_t r = 0; r < 5000 * (int64_t)SEC; r = r * 3 + 12345) {
            ui_axis f = ui_axis_fit(T0, T0 + r, w);
            int c = ui_axis_column(&f, T0 + r);
            CU_ASSERT(c >= 0 && c < w);
            if (w > 1)
                CU_ASSERT(c < w - 1);
        }
    }
    a = ui_axis_fit(T0 + 10, T0, 0); /* reversed, zero width: sane */
    CU_ASSERT_EQUAL(a.width, 1);
    CU_ASSERT(a.span > 0);
}

static void test_axis_zoom_pan(void)
{
    ui_axis a = {.start = 0, .span = 1000, .width = 10};
    ui_axis_zoom(&a, 0.5);
    CU_ASSERT_EQUAL(a.span, 500);
    CU_ASSERT_EQUAL(a.start, 250);
    CU_ASSERT_EQUAL(ui_axis_column(&a, 249), -1);
    CU_ASSERT_EQUAL(ui_axis_column(&a, 250), 0);
    CU_ASSERT_EQUAL(ui_axis_column(&a, 749), 9);
    CU_ASSERT_EQUAL(ui_axis_column(&a, 750), -1);
    ui_axis_pan(&a, 0.5);
    CU_ASSERT_EQUAL(a.start, 500);
    ui_axis_pan(&a, -1.0);
    CU_ASSERT_EQUAL(a.start, 0);
    ui_axis_zoom(&a, 2.0);
    CU_ASSERT_EQUAL(a.span, 1000);
    CU_ASSERT_EQUAL(a.start, -250);
    ui_axis_zoom(&a, 1e-12); /* bounded: a microsecond per column */
    CU_ASSERT_EQUAL(a.span, 10);
    ui_axis_zoom(&a, 0); /* ignored */
    CU_ASSERT_EQUAL(a.span, 10);
    ui_axis_zoom(&a, 1e30);
    CU_ASSERT(a.span > 0);
}

/* ---- timeline strips ---- */

static void strip(const ui_session *s, int64_t start, int64_t span, int w, int64_t now, char *text,
                  uint8_t *cells)
{
    ui_axis a = {.start = start, .span = span, .width = w};
    ui_timeline(s, &a, now, text, cells);
}

static void test_timeline_split_no_reply(void)
{
    ui_model *m = ui_model_new(8);
    ui_session *s = prelude(m, 1);
    double parts[] = {6, 7};
    eod(m, s, parts, 2);
    ui_model_tcp_end(m, s, 0, SMTP_CLIENT, T0 + 15 * (int64_t)SEC, 200);
    end_session(m, s, 15, SMTP_FLAG_SPLIT_EOD_UNACKED | SMTP_FLAG_MISSING_QUIT);
    char text[64];
    uint8_t cells[64];
    strip(s, T0, 20 * (int64_t)SEC, 20, T0 + 19 * (int64_t)SEC, text, cells);
    CU_ASSERT_STRING_EQUAL(text, "oBHMRD//~~~~~~~F    ");
    CU_ASSERT_EQUAL(cells[0], UI_CELL_EVENT);
    CU_ASSERT_EQUAL(cells[6], UI_CELL_BAD); /* split terminator: a symptom */
    CU_ASSERT_EQUAL(cells[8], UI_CELL_WAIT);
    CU_ASSERT_EQUAL(cells[15], UI_CELL_EVENT);
    CU_ASSERT_EQUAL(cells[16], UI_CELL_EMPTY);
    /* Twice as wide: the life line shows between events. */
    char wide[64];
    strip(s, T0, 20 * (int64_t)SEC, 40, T0 + 19 * (int64_t)SEC, wide, cells);
    CU_ASSERT_STRING_EQUAL(wide, "o-B-H-M-R-D-/-/~~~~~~~~~~~~~~~F         ");
    CU_ASSERT_EQUAL(cells[1], UI_CELL_LIFE);
    ui_model_free(m);
}

static void test_timeline_collisions(void)
{
    ui_model *m = ui_model_new(4);
    ui_session *s = ui_model_open(m, 1, "c", "s", T0, 1, NULL);
    greet(m, s, 1, 0);
    cmd(m, s, 2, SMTP_VERB_EHLO);
    reply(m, s, 3, SMTP_VERB_EHLO, 502); /* symptom */
    cmd(m, s, 4, SMTP_VERB_HELO);        /* later, but ordinary */
    cmd(m, s, 11, SMTP_VERB_MAIL);
    cmd(m, s, 12, SMTP_VERB_RCPT); /* same class: the later wins */
    cmd(m, s, 21, SMTP_VERB_DATA);
    double part = 22;
    eod(m, s, &part, 1);
    reply(m, s, 23, SMTP_VERB_EOD, 250); /* good beats the QUIT after it */
    cmd(m, s, 24, SMTP_VERB_QUIT);
    char text[8];
    uint8_t cells[8];
    strip(s, T0, 30 * (int64_t)SEC, 3, T0 + 29 * (int64_t)SEC, text, cells);
    CU_ASSERT_STRING_EQUAL(text, "XR+");
    CU_ASSERT_EQUAL(cells[0], UI_CELL_BAD);
    CU_ASSERT_EQUAL(cells[1], UI_CELL_EVENT);
    CU_ASSERT_EQUAL(cells[2], UI_CELL_GOOD);
    reply(m, s, 25, SMTP_VERB_QUIT, 221); /* good too, later: it wins */
    strip(s, T0, 30 * (int64_t)SEC, 3, T0 + 29 * (int64_t)SEC, text, cells);
    CU_ASSERT_STRING_EQUAL(text, "XRq");
    ui_model_free(m);
}

static void test_timeline_wait_grows(void)
{
    ui_model *m = ui_model_new(4);
    ui_session *s = prelude(m, 1);
    double part = 6;
    eod(m, s, &part, 1);
    CU_ASSERT_EQUAL(s->eod_wait, T0 + 6 * (int64_t)SEC);
    CU_ASSERT_EQUAL(s->state, UI_ST_WAIT_EOD);
    char text[32];
    uint8_t cells[32];
    strip(s, T0, 20 * (int64_t)SEC, 20, T0 + 8 * (int64_t)SEC, text, cells);
    CU_ASSERT_STRING_EQUAL(text, "oBHMRDE~~           ");
    CU_ASSERT_EQUAL(cells[7], UI_CELL_WAIT);
    strip(s, T0, 20 * (int64_t)SEC, 20, T0 + 12 * (int64_t)SEC, text, cells);
    CU_ASSERT_STRING_EQUAL(text, "oBHMRDE~~~~~~       ");
    /* Beyond the axis: the wait runs to the edge, no marker (no event there). */
    strip(s, T0, 20 * (int64_t)SEC, 20, T0 + 50 * (int64_t)SEC, text, cells);
    CU_ASSERT_STRING_EQUAL(text, "oBHMRDE~~~~~~~~~~~~~");
    /* The reply ends the wait; the life line goes on to now. */
    reply(m, s, 10, SMTP_VERB_EOD, 250);
    CU_ASSERT_EQUAL(s->eod_wait, 0);
    CU_ASSERT_EQUAL(s->state, UI_ST_READY);
    strip(s, T0, 20 * (int64_t)SEC, 20, T0 + 13 * (int64_t)SEC, text, cells);
    CU_ASSERT_STRING_EQUAL(text, "oBHMRDE~~~+---      ");
    CU_ASSERT_EQUAL(cells[10], UI_CELL_GOOD);
    CU_ASSERT_EQUAL(cells[11], UI_CELL_LIFE);
    ui_model_free(m);
}

static void test_timeline_off_axis(void)
{
    ui_model *m = ui_model_new(4);
    ui_session *s = prelude(m, 1);
    cmd(m, s, 15, SMTP_VERB_QUIT);
    char text[16];
    uint8_t cells[16];
    /* Window [3 s, 8 s): events before and after it. */
    strip(s, T0 + 3 * (int64_t)SEC, 5 * (int64_t)SEC, 10, T0 + 16 * (int64_t)SEC, text, cells);
    CU_ASSERT_EQUAL(text[0], '<');
    CU_ASSERT_EQUAL(cells[0], UI_CELL_OFFAXIS);
    CU_ASSERT_EQUAL(text[9], '>');
    CU_ASSERT_EQUAL(cells[9], UI_CELL_OFFAXIS);
    CU_ASSERT_EQUAL(text[2], 'R'); /* 4 s */
    CU_ASSERT_EQUAL(text[4], 'D'); /* 5 s */
    CU_ASSERT_EQUAL(text[5], '-');
    /* Everything inside: no markers. */
    strip(s, T0, 20 * (int64_t)SEC, 10, T0 + 16 * (int64_t)SEC, text, cells);
    CU_ASSERT_NOT_EQUAL(text[0], '<');
    CU_ASSERT_NOT_EQUAL(text[9], '>');
    /* A session wholly before the axis: only the marker. */
    strip(s, T0 + 100 * (int64_t)SEC, 5 * (int64_t)SEC, 6, T0 + 16 * (int64_t)SEC, text, cells);
    CU_ASSERT_STRING_EQUAL(text, "<     ");
    ui_model_free(m);
}

/* ---- model: event mapping and states ---- */

static void test_masked_banner_upgrade(void)
{
    ui_model *m = ui_model_new(4);
    ui_session *s = ui_model_open(m, 1, "c", "s", T0, 1, NULL);
    CU_ASSERT_EQUAL(s->state, UI_ST_GREETING);
    greet(m, s, 1, 0);
    CU_ASSERT_EQUAL(s->state, UI_ST_HELO);
    CU_ASSERT_EQUAL(kind_at(s, 1), UI_EV_BANNER);
    greet(m, s, 1.5, 1); /* a later greeting line was masked */
    CU_ASSERT_EQUAL(s->nev, 2);
    CU_ASSERT_EQUAL(kind_at(s, 1), UI_EV_BANNER_MASKED);
    ui_session *t = ui_model_open(m, 2, "c", "s", T0, 2, NULL);
    greet(m, t, 1, 1); /* masked from the first line */
    CU_ASSERT_EQUAL(t->nev, 2);
    CU_ASSERT_EQUAL(kind_at(t, 1), UI_EV_BANNER_MASKED);
    ui_model_free(m);
}

static void test_event_mapping(void)
{
    ui_model *m = ui_model_new(4);
    ui_session *s = ui_model_open(m, 1, "c", "s", T0, 1, NULL);
    greet(m, s, 1, 0);
    cmd(m, s, 2, SMTP_VERB_EHLO);
    reply(m, s, 2.1, SMTP_VERB_EHLO, 500);
    CU_ASSERT_EQUAL(s->state, UI_ST_HELO);
    cmd(m, s, 3, SMTP_VERB_HELO);
    reply(m, s, 3.1, SMTP_VERB_HELO, 250);
    CU_ASSERT_EQUAL(s->state, UI_ST_READY);
    cmd(m, s, 4, SMTP_VERB_MAIL);
    CU_ASSERT_EQUAL(s->state, UI_ST_MAIL);
    cmd(m, s, 5, SMTP_VERB_RCPT);
    cmd(m, s, 5.1, SMTP_VERB_RCPT); /* coalesced */
    cmd(m, s, 5.2, SMTP_VERB_RCPT);
    cmd(m, s, 6, SMTP_VERB_DATA);
    reply(m, s, 6.1, SMTP_VERB_DATA, 354);
    CU_ASSERT_EQUAL(s->state, UI_ST_DATA);
    double p1[] = {7};
    eod(m, s, p1, 1);
    reply(m, s, 7.5, SMTP_VERB_EOD, 250);
    cmd(m, s, 8, SMTP_VERB_MAIL);
    cmd(m, s, 8.1, SMTP_VERB_BDAT);
    reply(m, s, 8.2, SMTP_VERB_BDAT, 552);
    cmd(m, s, 9, SMTP_VERB_RSET);          /* no event */
    reply(m, s, 9.1, SMTP_VERB_RSET, 250); /* no event */
    cmd(m, s, 10, SMTP_VERB_STARTTLS);
    reply(m, s, 10.1, SMTP_VERB_STARTTLS, 220);
    CU_ASSERT_EQUAL(s->state, UI_ST_TLS);
    cmd(m, s, 11, SMTP_VERB_QUIT);
    CU_ASSERT_EQUAL(s->state, UI_ST_QUIT);
    reply(m, s, 11.1, SMTP_VERB_QUIT, 221);
    ui_model_tcp_end(m, s, 1, SMTP_SERVER, T0 + 12 * (int64_t)SEC, 300);
    static const unsigned want[] = {UI_EV_CONNECT,        UI_EV_BANNER,   UI_EV_HELO,
                                    UI_EV_HELO_REFUSED,   UI_EV_HELO,     UI_EV_MAIL,
                                    UI_EV_RCPT,           UI_EV_DATA,     UI_EV_EOD_PART,
                                    UI_EV_EOD_REPLY_OK,   UI_EV_MAIL,     UI_EV_DATA,
                                    UI_EV_EOD_REPLY_FAIL, UI_EV_STARTTLS, UI_EV_QUIT,
                                    UI_EV_QUIT_REPLY,     UI_EV_RST};
    CU_ASSERT_EQUAL_FATAL(s->nev, sizeof want / sizeof want[0]);
    for (unsigned i = 0; i < s->nev; i++)
        CU_ASSERT_EQUAL(kind_at(s, i), want[i]);
    CU_ASSERT_EQUAL(ui_session_event(s, 6)->ts, T0 + 5 * (int64_t)SEC); /* the first RCPT */
    CU_ASSERT_EQUAL(ui_session_event(s, 16)->from, SMTP_SERVER);
    CU_ASSERT_EQUAL(ui_session_event(s, 16)->frame, 300);
    CU_ASSERT_EQUAL(s->messages, 1);
    CU_ASSERT_EQUAL(s->last, T0 + 12 * (int64_t)SEC);
    CU_ASSERT_EQUAL(ui_model_open_count(m), 1);
    end_session(m, s, 12, 0);
    CU_ASSERT_EQUAL(s->state, UI_ST_CLOSED);
    CU_ASSERT(s->ended);
    CU_ASSERT_EQUAL(ui_model_open_count(m), 0);
    CU_ASSERT_EQUAL(ui_model_ended_count(m), 1);
    /* Nothing changes an ended session. */
    cmd(m, s, 13, SMTP_VERB_MAIL);
    CU_ASSERT_EQUAL(s->nev, sizeof want / sizeof want[0]);
    ui_model_free(m);
}

static void test_eod_reply_fail_and_parts(void)
{
    ui_model *m = ui_model_new(4);
    ui_session *s = prelude(m, 1);
    double parts[] = {6, 6.5, 7};
    eod(m, s, parts, 3);
    CU_ASSERT_EQUAL(s->eod_wait, T0 + 7 * (int64_t)SEC);
    unsigned n = s->nev;
    CU_ASSERT_EQUAL(kind_at(s, n - 3), UI_EV_EOD_PART);
    CU_ASSERT_EQUAL(ui_session_event(s, n - 3)->frame, 100);
    CU_ASSERT_EQUAL(ui_session_event(s, n - 1)->frame, 102);
    CU_ASSERT_EQUAL(ui_session_event(s, n - 1)->nparts, 3);
    reply(m, s, 8, SMTP_VERB_EOD, 0); /* no valid code: a failure */
    CU_ASSERT_EQUAL(kind_at(s, s->nev - 1), UI_EV_EOD_REPLY_FAIL);
    CU_ASSERT_EQUAL(s->eod_wait, 0);
    reply(m, s, 9, SMTP_VERB_EOD, 451);
    CU_ASSERT_EQUAL(kind_at(s, s->nev - 1), UI_EV_EOD_REPLY_FAIL);
    reply(m, s, 10, SMTP_VERB_EOD, 250);
    CU_ASSERT_EQUAL(kind_at(s, s->nev - 1), UI_EV_EOD_REPLY_OK);
    reply(m, s, 11, SMTP_VERB_QUIT, 250); /* not 221: no event */
    CU_ASSERT_EQUAL(kind_at(s, s->nev - 1), UI_EV_EOD_REPLY_OK);
    /* NULL session (untracked): ignored. */
    ui_model_smtp_event(m, NULL, &(smtp_event){.kind = SMTP_EV_TLS});
    ui_model_tcp_end(m, NULL, 0, SMTP_CLIENT, T0, 1);
    ui_model_end(m, NULL, NULL, NULL, 0);
    ui_model_free(m);
}

static void test_event_ring(void)
{
    ui_model *m = ui_model_new(2);
    ui_session *s = ui_model_open(m, 1, "c", "s", T0, 1, NULL);
    for (int i = 1; i <= 100; i++) /* MAIL: never coalesced */
        cmd(m, s, i, SMTP_VERB_MAIL);
    CU_ASSERT_EQUAL(s->nev, UI_MAX_EVENTS);
    CU_ASSERT_EQUAL(s->ev_dropped, 101 - UI_MAX_EVENTS);
    CU_ASSERT_EQUAL(kind_at(s, 0), UI_EV_CONNECT);
    for (unsigned i = 1; i < UI_MAX_EVENTS / 2; i++) /* the first half: events 1..23 */
        CU_ASSERT_EQUAL(ui_session_event(s, i)->ts, T0 + (int64_t)i * SEC);
    for (unsigned i = UI_MAX_EVENTS / 2; i < UI_MAX_EVENTS; i++) /* the latest 24: 77..100 */
        CU_ASSERT_EQUAL(ui_session_event(s, i)->ts,
                        T0 + (int64_t)(100 - (UI_MAX_EVENTS - 1 - i)) * SEC);
    for (unsigned i = 1; i < s->nev; i++)
        CU_ASSERT(ui_session_event(s, i)->ts > ui_session_event(s, i - 1)->ts);
    ui_model_free(m);
}

/* ---- model: bounds ---- */

static void test_capacity_eviction(void)
{
    ui_model *m = ui_model_new(3);
    ui_session *a = ui_model_open(m, 1, "a", "s", T0, 1, NULL);
    ui_session *b = ui_model_open(m, 2, "b", "s", T0 + 1, 2, NULL);
    ui_model_open(m, 3, "c", "s", T0 + 2, 3, NULL);
    end_session(m, a, 1, SMTP_FLAG_MASKED_BANNER);
    end_session(m, b, 1, 0);
    CU_ASSERT_PTR_NOT_NULL(ui_model_open(m, 4, "d", "s", T0 + 3, 4, NULL)); /* drops b */
    CU_ASSERT_EQUAL(ui_model_count(m), 3);
    CU_ASSERT_EQUAL(ui_model_session(m, 0)->id, 1);
    CU_ASSERT_EQUAL(ui_model_session(m, 1)->id, 3);
    CU_ASSERT_EQUAL(ui_model_session(m, 2)->id, 4);
    CU_ASSERT_PTR_NOT_NULL(ui_model_open(m, 5, "e", "s", T0 + 4, 5, NULL)); /* drops a */
    CU_ASSERT_EQUAL(ui_model_session(m, 0)->id, 3);
    CU_ASSERT_EQUAL(ui_model_session(m, 2)->id, 5);
    CU_ASSERT_PTR_NULL(ui_model_open(m, 6, "f", "s", T0 + 5, 6, NULL)); /* all open */
    CU_ASSERT_PTR_NULL(ui_model_open(m, 7, "g", "s", T0 + 6, 7, NULL));
    CU_ASSERT_EQUAL(ui_model_untracked(m), 2);
    CU_ASSERT_EQUAL(ui_model_count(m), 3);
    CU_ASSERT_EQUAL(ui_model_open_count(m), 3);
    CU_ASSERT_EQUAL(ui_model_ended_count(m), 2);
    CU_ASSERT_EQUAL(ui_model_flag_count(m, 2), 1); /* masked_banner, though a was dropped */
    CU_ASSERT_EQUAL(ui_model_flag_count(m, 0), 0);
    CU_ASSERT_PTR_NULL(ui_model_session(m, 3));
    /* by insertion number: the dropped ones are gone, the kept found where they are */
    CU_ASSERT_EQUAL(ui_model_find_order(m, ui_model_session(m, 0)->order), 0);
    CU_ASSERT_EQUAL(ui_model_find_order(m, ui_model_session(m, 1)->order), 1);
    CU_ASSERT_EQUAL(ui_model_find_order(m, ui_model_session(m, 2)->order), 2);
    CU_ASSERT_EQUAL(ui_model_find_order(m, ui_model_session(m, 0)->order - 1), -1);
    CU_ASSERT_EQUAL(ui_model_find_order(m, ui_model_session(m, 2)->order + 1), -1);
    ui_model_free(m);
}

static void test_detail_bounded_and_clean(void)
{
    ui_model *m = ui_model_new(2);
    ui_session *s = ui_model_open(m, 1, "c\x1b[2J", "s", T0, 1, NULL);
    CU_ASSERT_STRING_EQUAL(s->client, "c\\x1b[2J");
    size_t big = UI_DETAIL_MAX * 2;
    char *d = malloc(big);
    memset(d, 'a', big);
    smtp_txn txn = {.mail_from = "<a\x07@example.org>"};
    smtp_report r = {.flags = SMTP_FLAG_MISSING_QUIT, .txns = &txn, .ntxn = 1};
    ui_model_end(m, s, as_flow(&r), d, big);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s->detail);
    CU_ASSERT(s->detail_len < UI_DETAIL_MAX);
    CU_ASSERT_EQUAL(strlen(s->detail), s->detail_len);
    CU_ASSERT_PTR_NOT_NULL(strstr(s->detail, "truncated]\n"));
    CU_ASSERT_STRING_EQUAL(s->mail_from, "<a\\x07@example.org>");
    CU_ASSERT_EQUAL(s->flags, SMTP_FLAG_MISSING_QUIT);
    CU_ASSERT_PTR_NULL(s->owner);
    ui_session *t = ui_model_open(m, 2, "c", "s", T0, 1, (void *)d);
    CU_ASSERT_PTR_EQUAL(t->owner, d);
    const char *raw = "line 1\x1b]0;pwned\x07\nline 2\xff\n";
    ui_model_end(m, t, NULL, raw, strlen(raw));
    CU_ASSERT_STRING_EQUAL(t->detail, "line 1\\x1b]0;pwned\\x07\nline 2\\xff\n");
    CU_ASSERT_EQUAL(t->detail_len, strlen(t->detail));
    CU_ASSERT_PTR_NULL(t->owner);
    /* Exactly at the bound (less the NUL): kept whole, no cut marker. */
    ui_session *u = ui_model_open(m, 3, "c", "s", T0, 1, NULL);
    CU_ASSERT_PTR_NOT_NULL(u); /* the oldest ended unflagged made room */
    memset(d, 'b', 100);
    ui_model_end(m, u, NULL, d, 100);
    CU_ASSERT_EQUAL(u->detail_len, 100);
    CU_ASSERT_PTR_NULL(strstr(u->detail, "truncated"));
    free(d);
    ui_model_free(m);
}

/* ---- rows ---- */

static size_t ids(const ui_model *m, const ui_filter *f, ui_sort sort, uint64_t *out)
{
    size_t rows[16];
    size_t n = ui_rows(m, f, sort, rows, 16);
    for (size_t i = 0; i < n; i++)
        out[i] = ui_model_session(m, rows[i])->id;
    return n;
}

static void test_rows_filter_sort(void)
{
    ui_model *m = ui_model_new(8);
    ui_session *s1 = ui_model_open(m, 1, "198.51.100.20:1000", "192.0.2.40:25", T0, 1, NULL);
    ui_session *s2 = ui_model_open(m, 2, "203.0.113.5:2000", "MX.Example.NET:25", T0, 2, NULL);
    ui_session *s3 = prelude(m, 3); /* client 198.51.100.20:51234 */
    ui_session *s4 = ui_model_open(m, 4, "[2001:db8::1]:3000", "192.0.2.41:25", T0, 4, NULL);
    end_session(m, s1, 1, SMTP_FLAG_MISSING_QUIT); /* minor */
    end_session(m, s2, 1,
                SMTP_FLAG_MISSING_QUIT | SMTP_FLAG_ZERO_WINDOW_DATA |
                    SMTP_FLAG_EOD_RETRANSMITTED); /* three minor */
    double part = 6;
    eod(m, s3, &part, 1); /* open, awaiting the reply: serious */
    (void)s4;
    uint64_t got[16];
    ui_filter all = {0};
    CU_ASSERT_EQUAL(ids(m, &all, UI_SORT_NEWEST, got), 4);
    CU_ASSERT(got[0] == 4 && got[1] == 3 && got[2] == 2 && got[3] == 1);
    CU_ASSERT_EQUAL(ids(m, NULL, UI_SORT_OLDEST, got), 4);
    CU_ASSERT(got[0] == 1 && got[1] == 2 && got[2] == 3 && got[3] == 4);
    CU_ASSERT_EQUAL(ids(m, &all, UI_SORT_WORST, got), 4);
    CU_ASSERT(got[0] == 3 && got[1] == 2 && got[2] == 1 && got[3] == 4);
    ui_filter flagged = {.flagged_only = 1};
    CU_ASSERT_EQUAL(ids(m, &flagged, UI_SORT_NEWEST, got), 3);
    CU_ASSERT(got[0] == 3 && got[1] == 2 && got[2] == 1);
    ui_filter text = {.text = "mx.EXAMPLE"};
    CU_ASSERT_EQUAL(ids(m, &text, UI_SORT_NEWEST, got), 1);
    CU_ASSERT_EQUAL(got[0], 2);
    ui_filter addr = {.text = "198.51.100.20"};
    CU_ASSERT_EQUAL(ids(m, &addr, UI_SORT_OLDEST, got), 2);
    CU_ASSERT(got[0] == 1 && got[1] == 3);
    ui_filter both = {.flagged_only = 1, .text = "2001:DB8"};
    CU_ASSERT_EQUAL(ids(m, &both, UI_SORT_NEWEST, got), 0);
    ui_filter none = {.text = "nowhere"};
    CU_ASSERT_EQUAL(ids(m, &none, UI_SORT_NEWEST, got), 0);
    /* One serious flag outweighs any number of minor ones; once replied, s3 is no longer. */
    ui_session *s5 = ui_model_open(m, 5, "x", "y", T0, 5, NULL);
    end_session(m, s5, 2, SMTP_FLAG_SPLIT_EOD_UNACKED);
    reply(m, s3, 7, SMTP_VERB_EOD, 250);
    CU_ASSERT_EQUAL(ids(m, &all, UI_SORT_WORST, got), 5);
    CU_ASSERT(got[0] == 5 && got[1] == 2 && got[2] == 1 && got[3] == 4 && got[4] == 3);
    /* cap bounds the output. */
    size_t rows[2];
    CU_ASSERT_EQUAL(ui_rows(m, &all, UI_SORT_NEWEST, rows, 2), 2);
    CU_ASSERT_EQUAL(ui_model_session(m, rows[0])->id, 5);
    ui_model_free(m);
}

static void test_names_and_glyphs(void)
{
    /* Glyphs are distinct printable ASCII, and none is a line glyph of the strip. */
    char seen[128] = {0};
    seen[(unsigned char)UI_GLYPH_SPLIT] = 1;
    for (int k = 0; k < UI_EV_COUNT; k++) {
        char g = ui_event_glyph((ui_event_kind)k);
        CU_ASSERT(g > 0x20 && g < 0x7f);
        CU_ASSERT(!strchr("-~<> ", g));
        CU_ASSERT_EQUAL(seen[(unsigned char)g], 0);
        seen[(unsigned char)g] = 1;
        CU_ASSERT(strlen(ui_event_name((ui_event_kind)k)) > 0);
    }
    for (unsigned i = 0; i < SMTP_FLAG_COUNT; i++) {
        size_t n = strlen(ui_flag_badge(i));
        CU_ASSERT(n >= 3 && n <= 6);
        for (unsigned j = 0; j < i; j++)
            CU_ASSERT(strcmp(ui_flag_badge(i), ui_flag_badge(j)) != 0);
    }
    CU_ASSERT_STRING_EQUAL(ui_flag_badge(0), "SPLIT");
    CU_ASSERT(ui_flag_serious(0));
    CU_ASSERT_FALSE(ui_flag_serious(1)); /* missing_quit */
    CU_ASSERT_EQUAL(ui_event_glyph(UI_EV_POP3_LOGIN), 'L');
    CU_ASSERT_EQUAL(ui_event_glyph(UI_EV_POP3_LIST), 'U');
    CU_ASSERT_EQUAL(ui_event_glyph(UI_EV_POP3_RETR), 'G');
    CU_ASSERT_EQUAL(ui_event_glyph(UI_EV_POP3_RETR_CUT), '%');
    CU_ASSERT_EQUAL(ui_event_glyph(UI_EV_POP3_DELE), 'd');
    CU_ASSERT_EQUAL(ui_event_glyph(UI_EV_COUNT), '?');
    ui_event cut = {.kind = UI_EV_POP3_RETR_CUT}, done = {.kind = UI_EV_POP3_RETR_DONE};
    CU_ASSERT_EQUAL(ui_event_cell(&cut), UI_CELL_BAD);
    CU_ASSERT_EQUAL(ui_event_cell(&done), UI_CELL_GOOD);
    CU_ASSERT_STRING_EQUAL(ui_proto_flag(PROTO_POP3, POP3_FLAG_BIT_RETR_CUT)->badge, "CUT");
    CU_ASSERT_STRING_EQUAL(ui_state_name(UI_ST_RETR), "retr");
    CU_ASSERT_STRING_EQUAL(ui_state_name(UI_ST_WAIT_EOD), "wait-eod");
    CU_ASSERT_STRING_EQUAL(ui_sort_name(UI_SORT_WORST), "worst");
}

/* ---- a real analyser feeding the model ---- */

typedef struct feed_ctx {
    ui_model *m;
    ui_session *s;
} feed_ctx;

static void observe(void *ctx, const smtp_event *ev)
{
    feed_ctx *c = ctx;
    ui_model_smtp_event(c->m, c->s, ev);
}

static void test_real_session(void)
{
    static const struct {
        smtp_dir dir;
        const char *bytes;
    } st[] = {
        {SMTP_SERVER, "220 *********0****************2*****\r\n"},
        {SMTP_CLIENT, "EHLO c.example\r\n"},
        {SMTP_SERVER, "500 5.5.1 Command unrecognized: \"XXXX\"\r\n"},
        {SMTP_CLIENT, "HELO c.example\r\n"},
        {SMTP_SERVER, "250 ok\r\n"},
        {SMTP_CLIENT, "MAIL FROM:<a@example.org>\r\n"},
        {SMTP_SERVER, "250 ok\r\n"},
        {SMTP_CLIENT, "RCPT TO:<b@example.net>\r\n"},
        {SMTP_SERVER, "250 ok\r\n"},
        {SMTP_CLIENT, "RCPT TO:<c@example.net>\r\n"},
        {SMTP_SERVER, "250 ok\r\n"},
        {SMTP_CLIENT, "DATA\r\n"},
        {SMTP_SERVER, "354 go ahead\r\n"},
        {SMTP_CLIENT, "Subject: x\r\n\r\nbody\r\n"},
        {SMTP_CLIENT, ".\r\n"}, /* terminator split CRLF|.CRLF */
    };
    ui_model *m = ui_model_new(4);
    smtp_session *ss = smtp_session_new(T0, 1);
    feed_ctx c = {m, ui_model_open(m, 7, "198.51.100.20:51234", "192.0.2.40:25", T0, 1, ss)};
    smtp_set_observer(ss, observe, &c);
    size_t n = sizeof st / sizeof st[0];
    for (size_t i = 0; i < n; i++)
        smtp_feed(ss, st[i].dir, (const uint8_t *)st[i].bytes, strlen(st[i].bytes),
                  T0 + (int64_t)(i + 1) * 100000, 10 + i);
    CU_ASSERT_EQUAL(c.s->state, UI_ST_WAIT_EOD);
    CU_ASSERT_EQUAL(c.s->eod_wait, T0 + (int64_t)n * 100000);
    int64_t fin = T0 + 60 * (int64_t)SEC;
    smtp_tcp_fin(ss, SMTP_CLIENT, fin, 100);
    ui_model_tcp_end(m, c.s, 0, SMTP_CLIENT, fin, 100);
    smtp_end(ss, SMTP_END_FIN, SMTP_CLIENT, fin, 100);
    ui_model_end(m, c.s, as_flow(smtp_get_report(ss)), "text\n", 5);
    static const unsigned want[] = {
        UI_EV_CONNECT,  UI_EV_BANNER_MASKED, UI_EV_HELO, UI_EV_HELO_REFUSED,
        UI_EV_HELO,     UI_EV_MAIL,          UI_EV_RCPT, UI_EV_DATA,
        UI_EV_EOD_PART, UI_EV_EOD_PART,      UI_EV_FIN};
    CU_ASSERT_EQUAL_FATAL(c.s->nev, sizeof want / sizeof want[0]);
    for (unsigned i = 0; i < c.s->nev; i++)
        CU_ASSERT_EQUAL(kind_at(c.s, i), want[i]);
    CU_ASSERT_EQUAL(ui_session_event(c.s, 1)->frame, 10);
    CU_ASSERT_EQUAL(ui_session_event(c.s, 8)->frame, 10 + 13); /* the body segment: CRLF */
    CU_ASSERT_EQUAL(ui_session_event(c.s, 9)->frame, 10 + 14);
    CU_ASSERT_EQUAL(ui_session_event(c.s, 9)->nparts, 2);
    CU_ASSERT(c.s->flags & SMTP_FLAG_SPLIT_EOD_UNACKED);
    CU_ASSERT(c.s->flags & SMTP_FLAG_MASKED_BANNER);
    CU_ASSERT_STRING_EQUAL(c.s->mail_from, "<a@example.org>");
    CU_ASSERT_EQUAL(c.s->messages, 1);
    CU_ASSERT_EQUAL(ui_model_flag_count(m, 0), 1);
    smtp_session_free(ss);
    ui_model_free(m);
}

/* BDAT: only the LAST chunk ends the message; its reply is the reply to end of data, the
 * replies to earlier chunks are not. */
static void test_real_bdat(void)
{
    static const struct {
        smtp_dir dir;
        const char *bytes;
    } st[] = {
        {SMTP_SERVER, "220 mx ESMTP\r\n"},    {SMTP_CLIENT, "EHLO c\r\n"},
        {SMTP_SERVER, "250 CHUNKING\r\n"},    {SMTP_CLIENT, "MAIL FROM:<a@x>\r\n"},
        {SMTP_SERVER, "250 ok\r\n"},          {SMTP_CLIENT, "RCPT TO:<b@y>\r\n"},
        {SMTP_SERVER, "250 ok\r\n"},          {SMTP_CLIENT, "BDAT 4\r\nab\r\n"},
        {SMTP_SERVER, "250 4 octets\r\n"},    {SMTP_CLIENT, "BDAT 3 LAST\r\ncd\n"},
        {SMTP_SERVER, "250 queued as X\r\n"},
    };
    ui_model *m = ui_model_new(4);
    smtp_session *ss = smtp_session_new(T0, 1);
    feed_ctx c = {m, ui_model_open(m, 1, "198.51.100.1:4000", "192.0.2.1:25", T0, 1, ss)};
    smtp_set_observer(ss, observe, &c);
    for (size_t i = 0; i < sizeof st / sizeof st[0]; i++)
        smtp_feed(ss, st[i].dir, (const uint8_t *)st[i].bytes, strlen(st[i].bytes),
                  T0 + (int64_t)(i + 1) * 100000, 10 + i);
    static const unsigned want[] = {UI_EV_CONNECT,     UI_EV_BANNER, UI_EV_HELO, UI_EV_MAIL,
                                    UI_EV_RCPT,        UI_EV_DATA,   UI_EV_DATA, UI_EV_EOD_PART,
                                    UI_EV_EOD_REPLY_OK}; /* a D per chunk */
    CU_ASSERT_EQUAL_FATAL(c.s->nev, sizeof want / sizeof want[0]);
    for (unsigned i = 0; i < c.s->nev; i++)
        CU_ASSERT_EQUAL(kind_at(c.s, i), want[i]);
    CU_ASSERT_EQUAL(ui_session_event(c.s, 7)->frame, 19); /* the LAST chunk */
    CU_ASSERT_EQUAL(c.s->state, UI_ST_READY);
    CU_ASSERT_EQUAL(c.s->eod_wait, 0);
    CU_ASSERT_EQUAL(c.s->messages, 1);
    smtp_end(ss, SMTP_END_FIN, SMTP_CLIENT, T0 + SEC, 30);
    ui_model_end(m, c.s, as_flow(smtp_get_report(ss)), "", 0);
    smtp_session_free(ss);
    ui_model_free(m);
}

/* ---- a real POP3 analyser feeding the model ---- */

static void observe_pop3(void *ctx, const pop3_event *ev)
{
    feed_ctx *c = ctx;
    ui_model_event(c->m, c->s, PROTO_POP3, ev);
}

#define POP3_SECRET "Tr0ub4dor&3"

/* A login, UIDL, two downloads (the second cut by a RST), a DELE, no QUIT. */
static pop3_session *pop3_feed_all(feed_ctx *c)
{
    static const struct {
        flow_side from;
        const char *bytes;
    } st[] = {
        {FLOW_SERVER, "+OK POP3 ready\r\n"},
        {FLOW_CLIENT, "USER Bob\r\n"},
        {FLOW_SERVER, "+OK\r\n"},
        {FLOW_CLIENT, "PASS " POP3_SECRET "\r\n"},
        {FLOW_SERVER, "+OK Logged in.\r\n"},
        {FLOW_CLIENT, "UIDL\r\n"},
        {FLOW_SERVER, "+OK\r\n1 aaa\r\n2 bbb\r\n.\r\n"},
        {FLOW_CLIENT, "RETR 1\r\n"},
        {FLOW_SERVER, "+OK 30 octets\r\nMessage-ID: <m1@x>\r\n\r\nhi\r\n.\r\n"},
        {FLOW_CLIENT, "DELE 1\r\n"},
        {FLOW_SERVER, "+OK Marked\r\n"},
        {FLOW_CLIENT, "RETR 2\r\n"},
        {FLOW_SERVER, "+OK 900 octets\r\nMessage-ID: <m2@x>\r\n\r\npart of it\r\n"},
    };
    pop3_session *ps = pop3_session_new(T0, 1);
    c->s = ui_model_open(c->m, 9, "198.51.100.10:41002", "192.0.2.110:110", T0, 1, ps);
    ui_model_set_proto(c->m, c->s, PROTO_POP3);
    pop3_set_observer(ps, observe_pop3, c);
    for (size_t i = 0; i < sizeof st / sizeof st[0]; i++)
        pop3_feed(ps, st[i].from, (const uint8_t *)st[i].bytes, strlen(st[i].bytes),
                  T0 + (int64_t)(i + 1) * 100000, 10 + i);
    return ps;
}

/* The report text the detail pane keeps, as the capture side writes it. */
static char *pop3_detail(pop3_session *ps, size_t *len)
{
    char *text = NULL;
    FILE *f = open_memstream(&text, len);
    flow_report fr = {.id = 9,
                      .client = "198.51.100.10:41002",
                      .server = "192.0.2.110:110",
                      .proto = PROTO_POP3,
                      .report = pop3_get_report(ps)};
    report_flow_text(f, &fr);
    fclose(f);
    return text;
}

static void test_pop3_session(void)
{
    ui_model *m = ui_model_new(4);
    feed_ctx c = {m, NULL};
    pop3_session *ps = pop3_feed_all(&c);
    CU_ASSERT_EQUAL(c.s->proto, PROTO_POP3);
    CU_ASSERT_EQUAL(c.s->state, UI_ST_RETR);
    int64_t rst = T0 + 2 * (int64_t)SEC;
    pop3_end(ps, FLOW_END_RST, FLOW_SERVER, rst, 50);
    ui_model_tcp_end(m, c.s, 1, SMTP_SERVER, rst, 50);
    static const unsigned want[] = {UI_EV_CONNECT,   UI_EV_BANNER,    UI_EV_POP3_LOGIN,
                                    UI_EV_POP3_LIST, UI_EV_POP3_RETR, UI_EV_POP3_RETR_DONE,
                                    UI_EV_POP3_DELE, UI_EV_POP3_RETR, UI_EV_POP3_RETR_CUT,
                                    UI_EV_RST};
    CU_ASSERT_EQUAL_FATAL(c.s->nev, sizeof want / sizeof want[0]);
    for (unsigned i = 0; i < c.s->nev; i++)
        CU_ASSERT_EQUAL(kind_at(c.s, i), want[i]);
    CU_ASSERT_EQUAL(c.s->messages, 2);
    /* The cut wins its column over the RST that cut it. */
    char text[41];
    uint8_t cells[40];
    strip(c.s, T0, 4 * (int64_t)SEC, 40, rst, text, cells);
    CU_ASSERT_EQUAL(text[20], '%');
    CU_ASSERT_EQUAL(cells[20], UI_CELL_BAD);
    size_t len = 0;
    char *detail = pop3_detail(ps, &len);
    CU_ASSERT_PTR_NULL(strstr(detail, POP3_SECRET));
    flow_report fr = {.proto = PROTO_POP3, .report = pop3_get_report(ps)};
    ui_model_end(m, c.s, &fr, detail, len);
    free(detail);
    CU_ASSERT(c.s->flags & POP3_FLAG_RETR_CUT);
    CU_ASSERT(c.s->flags & POP3_FLAG_DELE_UNCOMMITTED);
    CU_ASSERT_STRING_EQUAL(c.s->mail_from, "Bob");
    CU_ASSERT_PTR_NOT_NULL(c.s->detail);
    CU_ASSERT_PTR_NULL(strstr(c.s->detail, POP3_SECRET));
    /* The header's counts: POP3's own, SMTP's untouched. */
    CU_ASSERT_EQUAL(ui_model_proto_sessions(m, PROTO_POP3), 1);
    CU_ASSERT_EQUAL(ui_model_proto_flag_count(m, PROTO_POP3, POP3_FLAG_BIT_RETR_CUT), 1);
    CU_ASSERT_EQUAL(ui_model_proto_flag_count(m, PROTO_POP3, POP3_FLAG_BIT_QUIT_FAILED), 0);
    for (unsigned i = 0; i < SMTP_FLAG_COUNT; i++)
        CU_ASSERT_EQUAL(ui_model_flag_count(m, i), 0);
    pop3_session_free(ps);
    ui_model_free(m);
}

/* f and / on POP3 sessions: flagged by their own flags, found by client, server, mailbox. */
static void test_pop3_filter(void)
{
    ui_model *m = ui_model_new(4);
    feed_ctx c = {m, NULL};
    pop3_session *ps = pop3_feed_all(&c);
    pop3_end(ps, FLOW_END_RST, FLOW_SERVER, T0 + 2 * (int64_t)SEC, 50);
    flow_report fr = {.proto = PROTO_POP3, .report = pop3_get_report(ps)};
    ui_model_end(m, c.s, &fr, "report\n", 7);
    ui_session *clean = ui_model_open(m, 10, "203.0.113.7:5000", "192.0.2.25:25", T0, 2, NULL);
    end_session(m, clean, 1, 0);
    uint64_t got[16];
    ui_filter flagged = {.flagged_only = 1};
    CU_ASSERT_EQUAL(ids(m, &flagged, UI_SORT_NEWEST, got), 1);
    CU_ASSERT_EQUAL(got[0], 9);
    static const char *const finds[] = {"bob", "198.51.100.10", "192.0.2.110:110"};
    for (unsigned i = 0; i < 3; i++) {
        ui_filter f = {0};
        strcpy(f.text, finds[i]);
        CU_ASSERT_EQUAL(ids(m, &f, UI_SORT_NEWEST, got), 1);
        CU_ASSERT_EQUAL(got[0], 9);
    }
    ui_filter secret = {.text = POP3_SECRET}; /* the password is nowhere to be found */
    CU_ASSERT_EQUAL(ids(m, &secret, UI_SORT_NEWEST, got), 0);
    ui_filter all = {0};
    CU_ASSERT_EQUAL(ids(m, &all, UI_SORT_WORST, got), 2);
    CU_ASSERT_EQUAL(got[0], 9); /* serious POP3 flags weigh as serious */
    pop3_session_free(ps);
    ui_model_free(m);
}

/* ---- duplicate groups ---- */

/* A group's update as the report hands it over: attempts are the first n of sess. */
static report_dup dup_of(uint64_t group, const char *msgid, unsigned n, unsigned acked,
                         const uint32_t *sess, int final)
{
    return (report_dup){.group = group,
                        .final = final,
                        .message_id = msgid,
                        .digest_hex = "36647cbff84cbd6fdf7e2ea2f6e804b0",
                        .mail_from = "<alice@example.org>",
                        .rcpt = "<bob@example.com>",
                        .attempts = n,
                        .acknowledged = acked,
                        .interval_median = 600,
                        .cause = "smtp_inspection",
                        .first = T0,
                        .last = T0 + (int64_t)(n - 1) * 600 * SEC,
                        .sessions = sess};
}

static void test_dup_created_updated_final(void)
{
    ui_model *m = ui_model_new(8);
    ui_session *s[4];
    for (int i = 0; i < 4; i++)
        s[i] = ui_model_open(m, (uint64_t)i + 1, "c", "s", T0 + i, 1, NULL);
    end_session(m, s[0], 1, 0);
    CU_ASSERT_EQUAL(ui_model_dup_groups(m), 0);
    uint32_t sess[] = {1, 2, 4};
    report_dup d = dup_of(77, "<a@example.org>", 2, 0, sess, 0);
    ui_model_duplicate(m, &d);
    CU_ASSERT_EQUAL(ui_model_dup_groups(m), 1);
    CU_ASSERT_EQUAL_FATAL(ui_model_dup_count(m), 1);
    const ui_dup *g = ui_model_dup(m, 0);
    CU_ASSERT_EQUAL(g->group, 77);
    CU_ASSERT_STRING_EQUAL(g->message, "<a@example.org>");
    CU_ASSERT_STRING_EQUAL(g->mail_from, "<alice@example.org>");
    CU_ASSERT_STRING_EQUAL(g->cause, "smtp_inspection");
    CU_ASSERT_EQUAL(g->attempts, 2);
    CU_ASSERT_EQUAL(g->nsessions, 2);
    CU_ASSERT_EQUAL(g->final, 0);
    CU_ASSERT(g->interval_median == 600);
    /* marks: sessions 1 (ended) and 2 (still open), not 3 */
    CU_ASSERT(s[0]->dup && s[0]->dup_group == 77);
    CU_ASSERT(s[1]->dup && s[1]->dup_group == 77);
    CU_ASSERT_FALSE(s[2]->dup);
    CU_ASSERT_FALSE(s[3]->dup);
    /* A third attempt: the same entry, updated in place, session 4 marked too. */
    d = dup_of(77, "<a@example.org>", 3, 1, sess, 0);
    d.cause = "client_timeout";
    ui_model_duplicate(m, &d);
    CU_ASSERT_EQUAL(ui_model_dup_groups(m), 1);
    CU_ASSERT_EQUAL(ui_model_dup_count(m), 1);
    CU_ASSERT_PTR_EQUAL(ui_model_dup(m, 0), g);
    CU_ASSERT_EQUAL(g->attempts, 3);
    CU_ASSERT_EQUAL(g->acknowledged, 1);
    CU_ASSERT_STRING_EQUAL(g->cause, "client_timeout");
    CU_ASSERT_EQUAL(g->sessions[2], 4);
    CU_ASSERT(s[3]->dup && s[3]->dup_group == 77);
    CU_ASSERT_FALSE(s[2]->dup);
    /* final, and grouped by digest (a resend under a new Message-ID): named by its digest */
    d = dup_of(77, "<a@example.org>", 3, 1, sess, 1);
    d.by_digest = 1;
    d.cause = NULL;
    ui_model_duplicate(m, &d);
    CU_ASSERT_EQUAL(g->final, 1);
    CU_ASSERT_STRING_EQUAL(g->message, "digest 36647cbff84cbd6fdf7e2ea2f6e804b0");
    CU_ASSERT_STRING_EQUAL(g->cause, "unknown");
    CU_ASSERT_EQUAL(ui_model_find_dup(m, 77), 0);
    CU_ASSERT_EQUAL(ui_model_find_dup(m, 78), -1);
    /* no Message-ID at all: the digest too */
    d = dup_of(78, NULL, 2, 0, sess, 0);
    ui_model_duplicate(m, &d);
    CU_ASSERT_STRING_EQUAL(ui_model_dup(m, 1)->message, "digest 36647cbff84cbd6fdf7e2ea2f6e804b0");
    CU_ASSERT_EQUAL(ui_model_dup_groups(m), 2);
    ui_model_free(m);
}

/* Sessions are found by id whether or not ids came in order; dropped ones are not marked. */
static void test_dup_find_id(void)
{
    ui_model *m = ui_model_new(4);
    for (uint64_t id = 10; id < 14; id++)
        end_session(m, ui_model_open(m, id, "c", "s", T0, 1, NULL), 1, 0);
    ui_model_open(m, 20, "c", "s", T0, 1, NULL); /* drops 10 */
    CU_ASSERT_EQUAL(ui_model_find_id(m, 10), -1);
    CU_ASSERT_EQUAL(ui_model_find_id(m, 11), 0);
    CU_ASSERT_EQUAL(ui_model_find_id(m, 13), 2);
    CU_ASSERT_EQUAL(ui_model_find_id(m, 20), 3);
    CU_ASSERT_EQUAL(ui_model_find_id(m, 15), -1);
    uint32_t sess[] = {10, 12, 20};
    report_dup d = dup_of(1, "<x@y>", 3, 0, sess, 0);
    ui_model_duplicate(m, &d);
    CU_ASSERT(ui_model_session(m, 1)->dup);     /* 12 */
    CU_ASSERT(ui_model_session(m, 3)->dup);     /* 20 */
    CU_ASSERT(!ui_model_session(m, 0)->dup);    /* 11 */
    ui_model_open(m, 5, "c", "s", T0, 1, NULL); /* lower than 20: found by a scan */
    CU_ASSERT_EQUAL(ui_model_find_id(m, 5), 3);
    CU_ASSERT_EQUAL(ui_model_find_id(m, 12), 0);
    CU_ASSERT_EQUAL(ui_model_find_id(m, 20), 2);
    ui_model_free(m);
}

static void test_dup_worst_first(void)
{
    ui_model *m = ui_model_new(4);
    uint32_t sess[] = {1, 2, 3, 4, 5, 6};
    report_dup d[] = {
        dup_of(1, "<one@x>", 3, 3, sess, 0),   /* unacked 0 */
        dup_of(2, "<two@x>", 2, 0, sess, 0),   /* unacked 2 */
        dup_of(3, "<three@x>", 6, 3, sess, 1), /* unacked 3 */
        dup_of(4, "<four@x>", 4, 2, sess, 0),  /* unacked 2, more attempts than 2 */
    };
    for (int i = 0; i < 4; i++)
        ui_model_duplicate(m, &d[i]);
    size_t rows[8];
    CU_ASSERT_EQUAL_FATAL(ui_dup_rows(m, rows, 8), 4);
    CU_ASSERT_EQUAL(ui_model_dup(m, rows[0])->group, 3);
    CU_ASSERT_EQUAL(ui_model_dup(m, rows[1])->group, 4);
    CU_ASSERT_EQUAL(ui_model_dup(m, rows[2])->group, 2);
    CU_ASSERT_EQUAL(ui_model_dup(m, rows[3])->group, 1);
    /* an update re-ranks: group 1's attempts go unanswered */
    d[0] = dup_of(1, "<one@x>", 6, 0, sess, 0);
    ui_model_duplicate(m, &d[0]);
    CU_ASSERT_EQUAL(ui_dup_rows(m, rows, 2), 2); /* cap bounds it */
    CU_ASSERT_EQUAL(ui_model_dup(m, rows[0])->group, 1);
    CU_ASSERT_EQUAL(ui_model_dup(m, rows[1])->group, 3);
    /* equal in both: the latest updated first */
    report_dup e = dup_of(5, "<five@x>", 6, 0, sess, 0);
    ui_model_duplicate(m, &e);
    CU_ASSERT_EQUAL(ui_dup_rows(m, rows, 8), 5);
    CU_ASSERT_EQUAL(ui_model_dup(m, rows[0])->group, 5);
    CU_ASSERT_EQUAL(ui_model_dup(m, rows[1])->group, 1);
    ui_model_free(m);
}

/* Full: the least bad final group makes room, then (none final) the least bad open one. */
static void test_dup_bound(void)
{
    ui_model *m = ui_model_new(4);
    uint32_t sess[] = {1, 2, 3, 4};
    for (uint64_t i = 0; i < UI_DUP_CAPACITY; i++) {
        /* final groups 1 and 2 unacked 1; group 3 final with unacked 0 is the least bad */
        unsigned acked = i == 3 ? 2 : 1;
        report_dup d = dup_of(i, "<m@x>", 2, acked, sess, i >= 1 && i <= 3);
        ui_model_duplicate(m, &d);
    }
    CU_ASSERT_EQUAL(ui_model_dup_count(m), UI_DUP_CAPACITY);
    report_dup d = dup_of(5000, "<new@x>", 2, 0, sess, 0);
    ui_model_duplicate(m, &d);
    CU_ASSERT_EQUAL(ui_model_dup_count(m), UI_DUP_CAPACITY);
    CU_ASSERT_EQUAL(ui_model_dup_groups(m), UI_DUP_CAPACITY + 1);
    CU_ASSERT_EQUAL(ui_model_find_dup(m, 3), -1); /* final, acknowledged: dropped first */
    CU_ASSERT(ui_model_find_dup(m, 0) >= 0);      /* open, as bad: kept */
    CU_ASSERT(ui_model_find_dup(m, 5000) >= 0);
    d = dup_of(5001, "<new@x>", 2, 0, sess, 0);
    ui_model_duplicate(m, &d);
    CU_ASSERT_EQUAL(ui_model_find_dup(m, 1), -1); /* then the other final ones, oldest first */
    CU_ASSERT(ui_model_find_dup(m, 2) >= 0);
    d = dup_of(5002, "<new@x>", 2, 0, sess, 0);
    ui_model_duplicate(m, &d);
    CU_ASSERT_EQUAL(ui_model_find_dup(m, 2), -1);
    /* none final left: the least bad open one (unacked 1, updated first: group 0) */
    d = dup_of(5003, "<new@x>", 2, 0, sess, 0);
    ui_model_duplicate(m, &d);
    CU_ASSERT_EQUAL(ui_model_find_dup(m, 0), -1);
    CU_ASSERT(ui_model_find_dup(m, 4) >= 0);
    CU_ASSERT(ui_model_find_dup(m, 5003) >= 0);
    CU_ASSERT_EQUAL(ui_model_dup_count(m), UI_DUP_CAPACITY);
    CU_ASSERT_EQUAL(ui_model_dup_groups(m), UI_DUP_CAPACITY + 4);
    ui_model_free(m);
}

/* Many attempts: the first and the latest halves are kept, the others counted. */
static void test_dup_many_attempts(void)
{
    ui_model *m = ui_model_new(4);
    uint32_t sess[100];
    for (unsigned i = 0; i < 100; i++)
        sess[i] = 1000 + i;
    report_dup d = dup_of(9, "<loop@x>", 100, 0, sess, 0);
    ui_model_duplicate(m, &d);
    const ui_dup *g = ui_model_dup(m, 0);
    CU_ASSERT_EQUAL(g->nsessions, UI_DUP_SESSIONS);
    CU_ASSERT_EQUAL(ui_dup_unlisted(g), 100 - UI_DUP_SESSIONS);
    CU_ASSERT_EQUAL(g->sessions[0], 1000);
    CU_ASSERT_EQUAL(g->sessions[UI_DUP_SESSIONS / 2 - 1], 1000 + UI_DUP_SESSIONS / 2 - 1);
    CU_ASSERT_EQUAL(g->sessions[UI_DUP_SESSIONS / 2], 1100 - UI_DUP_SESSIONS / 2);
    CU_ASSERT_EQUAL(g->sessions[UI_DUP_SESSIONS - 1], 1099);
    d = dup_of(9, "<loop@x>", 3, 0, sess, 0); /* fewer (a report re-ranked it): all kept */
    ui_model_duplicate(m, &d);
    CU_ASSERT_EQUAL(g->nsessions, 3);
    CU_ASSERT_EQUAL(ui_dup_unlisted(g), 0);
    d = dup_of(10, "<none@x>", 2, 0, NULL, 0); /* no session list: none kept, none marked */
    ui_model_duplicate(m, &d);
    CU_ASSERT_EQUAL(ui_model_dup(m, 1)->nsessions, 0);
    ui_model_free(m);
}

/* Strings from packets come out escaped and bounded, and are copies (valid after the call). */
static void test_dup_hostile_strings(void)
{
    ui_model *m = ui_model_new(4);
    char msgid[1000], from[] = "<a\x1b]0;pwned\x07@x>",
                      cause[] = "c\x9b"
                                "2J";
    memset(msgid, '\x1b', sizeof msgid - 1);
    msgid[sizeof msgid - 1] = '\0';
    uint32_t sess[] = {1, 2};
    report_dup d = dup_of(1, msgid, 2, 0, sess, 0);
    d.mail_from = from;
    d.rcpt = NULL;
    d.cause = cause;
    d.digest_hex = "\r\n";
    ui_model_duplicate(m, &d);
    memset(from, 'z', sizeof from - 1); /* the caller's buffers change after the call */
    const ui_dup *g = ui_model_dup(m, 0);
    CU_ASSERT(strlen(g->message) < sizeof g->message);
    CU_ASSERT(strlen(g->message) > 100);
    CU_ASSERT_EQUAL(strncmp(g->message, "\\x1b\\x1b", 8), 0);
    CU_ASSERT_PTR_NULL(strchr(g->message, '\x1b'));
    CU_ASSERT_STRING_EQUAL(g->mail_from, "<a\\x1b]0;pwned\\x07@x>");
    CU_ASSERT_STRING_EQUAL(g->rcpt, "");
    CU_ASSERT_STRING_EQUAL(g->cause, "c\\x9b2J");
    d = dup_of(2, NULL, 2, 0, sess, 0);
    d.digest_hex = "\r\n";
    ui_model_duplicate(m, &d);
    CU_ASSERT_STRING_EQUAL(ui_model_dup(m, 1)->message, "digest \\x0d\\x0a");
    for (size_t i = 0; i < 2; i++) {
        const ui_dup *x = ui_model_dup(m, i);
        for (const char *p = x->message; *p; p++)
            CU_ASSERT(*p >= 0x20 && *p < 0x7f);
    }
    ui_model_free(m);
}

void add_ui_suite(void)
{
    CU_pSuite s = CU_add_suite("ui", NULL, NULL);
    CU_add_test(s, "axis column", test_axis_column);
    CU_add_test(s, "real BDAT session", test_real_bdat);
    CU_add_test(s, "axis fit", test_axis_fit);
    CU_add_test(s, "axis zoom and pan", test_axis_zoom_pan);
    CU_add_test(s, "timeline split, no reply", test_timeline_split_no_reply);
    CU_add_test(s, "timeline collisions", test_timeline_collisions);
    CU_add_test(s, "timeline wait grows", test_timeline_wait_grows);
    CU_add_test(s, "timeline off axis", test_timeline_off_axis);
    CU_add_test(s, "masked banner upgrade", test_masked_banner_upgrade);
    CU_add_test(s, "event mapping and states", test_event_mapping);
    CU_add_test(s, "eod parts and replies", test_eod_reply_fail_and_parts);
    CU_add_test(s, "event ring", test_event_ring);
    CU_add_test(s, "capacity eviction", test_capacity_eviction);
    CU_add_test(s, "detail bounded and clean", test_detail_bounded_and_clean);
    CU_add_test(s, "rows filter and sort", test_rows_filter_sort);
    CU_add_test(s, "names and glyphs", test_names_and_glyphs);
    CU_add_test(s, "real smtp session", test_real_session);
    CU_add_test(s, "real pop3 session: glyphs, counts, detail", test_pop3_session);
    CU_add_test(s, "pop3 sessions: f and /", test_pop3_filter);
    CU_add_test(s, "duplicate group created, updated, final", test_dup_created_updated_final);
    CU_add_test(s, "duplicate groups: sessions by id", test_dup_find_id);
    CU_add_test(s, "duplicate groups worst first", test_dup_worst_first);
    CU_add_test(s, "duplicate groups bounded", test_dup_bound);
    CU_add_test(s, "duplicate group of many attempts", test_dup_many_attempts);
    CU_add_test(s, "duplicate group strings escaped", test_dup_hostile_strings);
}
