/* pipeline: --detect's probation (held segments, promotion, the bounds), the SMTP analyser's
 * recognition, and the classification of connections seen without their handshake. */
#include <CUnit/CUnit.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/internal.h"
#include "tests/suites.h"

/* ---- the SMTP analyser's own verdicts ---- */

static detect_verdict smtp_detect(const char *server, const char *client, int final)
{
    const analyser *an = pipeline_analyser(PROTO_SMTP);
    return an->detect((const uint8_t *)server, strlen(server), (const uint8_t *)client,
                      strlen(client), final);
}

static void test_smtp_detect(void)
{
    CU_ASSERT_EQUAL(smtp_detect("", "", 0), DETECT_UNDECIDED);
    CU_ASSERT_EQUAL(smtp_detect("", "", 1), DETECT_NO);
    CU_ASSERT_EQUAL(smtp_detect("", "GET / HTTP/1.1\r\n", 0), DETECT_NO); /* client first */
    CU_ASSERT_EQUAL(smtp_detect("22", "", 0), DETECT_UNDECIDED);
    CU_ASSERT_EQUAL(smtp_detect("230 ok\r\n", "", 0), DETECT_NO);
    CU_ASSERT_EQUAL(smtp_detect("220x\r\n", "", 0), DETECT_NO); /* no separator */
    CU_ASSERT_EQUAL(smtp_detect("220 mx\r\n", "", 0), DETECT_UNDECIDED);
    CU_ASSERT_EQUAL(smtp_detect("220 mx\r\n", "EHL", 0), DETECT_UNDECIDED);
    CU_ASSERT_EQUAL(smtp_detect("220 mx\r\n", "EHLO a\r\n", 0), DETECT_YES);
    CU_ASSERT_EQUAL(smtp_detect("220-mx\r\n", "helo a\n", 0), DETECT_YES);
    CU_ASSERT_EQUAL(smtp_detect("220 mx\r\n", "QUIT\r\n", 0), DETECT_YES);
    CU_ASSERT_EQUAL(smtp_detect("220 mx\r\n", "EHLOX\r\n", 0), DETECT_NO);
    CU_ASSERT_EQUAL(smtp_detect("220 mx\r\n", "USER bob\r\n", 0), DETECT_NO);
    /* nothing more will come: a greeting nobody answered is SMTP, a half line is not */
    CU_ASSERT_EQUAL(smtp_detect("220", "", 1), DETECT_YES);
    CU_ASSERT_EQUAL(smtp_detect("22", "", 1), DETECT_NO);
    CU_ASSERT_EQUAL(smtp_detect("220 mx\r\n", "EHL", 1), DETECT_NO);
}

static void test_smtp_looks_like(void)
{
    const analyser *an = pipeline_analyser(PROTO_SMTP);
    CU_ASSERT(an->looks_like_server((const uint8_t *)"250 ok\r\n", 8));
    CU_ASSERT(an->looks_like_server((const uint8_t *)"354-go", 6));
    CU_ASSERT_FALSE(an->looks_like_server((const uint8_t *)"HTTP/1.1 200", 12));
    CU_ASSERT_FALSE(an->looks_like_server((const uint8_t *)"+OK pop3", 8));
    CU_ASSERT(an->looks_like_client((const uint8_t *)"rcpt to:<a@b>", 13));
    CU_ASSERT(an->looks_like_client((const uint8_t *)"STARTTLS\r\n", 10));
    CU_ASSERT_FALSE(an->looks_like_client((const uint8_t *)"GET /", 5));
    CU_ASSERT_FALSE(an->looks_like_client((const uint8_t *)"MAI", 3));
}

/* ---- probation, with an analyser that records what it is fed ---- */

typedef struct fed {
    char bytes[4096];
    size_t len;
    uint64_t frames[256];
    unsigned nsegs;
    int opened, ended;
} fed;

static fed rec;

static void *fake_open(const void *config, int64_t ts, uint64_t frame)
{
    (void)config;
    (void)ts;
    (void)frame;
    rec.opened++;
    return &rec;
}

static void fake_data(void *session, const flow_segment *seg)
{
    fed *f = session;
    memcpy(f->bytes + f->len, seg->from == FLOW_SERVER ? "S:" : "C:", 2);
    memcpy(f->bytes + f->len + 2, seg->data, seg->len);
    f->len += 2 + seg->len;
    f->frames[f->nsegs++] = seg->frame;
}

static void fake_free(void *session)
{
    (void)session;
}

/* Recognises a server that says "hi" first and a client that answers "yo". */
static detect_verdict fake_detect(const uint8_t *server, size_t sn, const uint8_t *client,
                                  size_t cn, int final)
{
    if (sn < 2 || cn < 2)
        return final || (sn >= 2 && memcmp(server, "hi", 2) != 0) ? DETECT_NO : DETECT_UNDECIDED;
    return memcmp(server, "hi", 2) == 0 && memcmp(client, "yo", 2) == 0 ? DETECT_YES : DETECT_NO;
}

static const analyser fake = {.proto = PROTO_SMTP,
                              .open = fake_open,
                              .data = fake_data,
                              .free = fake_free,
                              .detect = fake_detect};

static uint64_t numbered;

static uint64_t fake_number(void *ctx)
{
    (void)ctx;
    return ++numbered;
}

static void setup(pipeline *pl, pipeline_flow *f)
{
    memset(&rec, 0, sizeof rec);
    memset(pl, 0, sizeof *pl);
    memset(f, 0, sizeof *f);
    numbered = 0;
    for (unsigned p = 0; p < PROTO_COUNT; p++)
        pl->an[p] = &fake;
    pl->sink.number = fake_number;
    f->pl = pl;
    CU_ASSERT_EQUAL_FATAL(pipeline_probe_start(f), 0);
}

static int seg(pipeline_flow *f, reasm_dir dir, const char *text, size_t len, uint64_t frame)
{
    reasm_segment s = {(const uint8_t *)text, len, {0, 0}, frame, dir};
    return pipeline_probe_segment(f, &s);
}

static void test_probation_promotes_in_order(void)
{
    pipeline pl;
    pipeline_flow f;
    setup(&pl, &f);
    CU_ASSERT_EQUAL(seg(&f, REASM_FROM_SERVER, "h", 1, 1), 0);
    CU_ASSERT_EQUAL(seg(&f, REASM_FROM_SERVER, "i\r\n", 3, 2), 0);
    CU_ASSERT_EQUAL(seg(&f, REASM_FROM_CLIENT, "y", 1, 3), 0);
    CU_ASSERT_EQUAL(rec.opened, 0);
    /* the segment that decides is held too, and fed by the promotion */
    CU_ASSERT_EQUAL(seg(&f, REASM_FROM_CLIENT, "o\r\n", 3, 4), 0);
    CU_ASSERT_EQUAL(rec.opened, 1);
    CU_ASSERT_EQUAL(numbered, 1);
    CU_ASSERT_PTR_NULL(f.probe);
    CU_ASSERT_PTR_EQUAL(f.an, &fake);
    CU_ASSERT_EQUAL(rec.nsegs, 4);
    CU_ASSERT_EQUAL(rec.frames[0], 1);
    CU_ASSERT_EQUAL(rec.frames[3], 4);
    CU_ASSERT_EQUAL(rec.len, 16);
    CU_ASSERT(memcmp(rec.bytes, "S:hS:i\r\nC:yC:o\r\n", 16) == 0);
}

static void test_probation_refuses(void)
{
    pipeline pl;
    pipeline_flow f;
    setup(&pl, &f);
    CU_ASSERT_EQUAL(seg(&f, REASM_FROM_SERVER, "no\r\n", 4, 1), -1);
    CU_ASSERT_EQUAL(rec.opened, 0);
    CU_ASSERT_EQUAL(numbered, 0);
    free(f.probe);
}

/* A first client segment larger than the client's hold is judged by its own bytes, then fed
 * after the held ones. */
static void test_probation_overflow_judged_by_segment(void)
{
    static char big[600];
    pipeline pl;
    pipeline_flow f;
    setup(&pl, &f);
    memset(big, 'x', sizeof big);
    memcpy(big, "yo", 2);
    CU_ASSERT_EQUAL(seg(&f, REASM_FROM_SERVER, "hi", 2, 1), 0);
    CU_ASSERT_EQUAL(seg(&f, REASM_FROM_CLIENT, big, sizeof big, 2), 1); /* still to be fed */
    CU_ASSERT_EQUAL(rec.opened, 1);
    CU_ASSERT_EQUAL(rec.nsegs, 1);
    CU_ASSERT_PTR_NULL(f.probe);
}

/* Past the number of segments it holds, the flow is decided with what it has. */
static void test_probation_segment_bound(void)
{
    pipeline pl;
    pipeline_flow f;
    setup(&pl, &f);
    CU_ASSERT_EQUAL(seg(&f, REASM_FROM_SERVER, "h", 1, 1), 0);
    int r = 0;
    unsigned n = 1;
    while (r == 0 && n < 1000)
        r = seg(&f, REASM_FROM_SERVER, "", 0, ++n); /* empty segments still count */
    CU_ASSERT_EQUAL(r, -1);
    CU_ASSERT(n > 100 && n < 1000);
    free(f.probe);
}

static void test_probation_end(void)
{
    pipeline pl;
    pipeline_flow f;
    setup(&pl, &f);
    CU_ASSERT_EQUAL(seg(&f, REASM_FROM_SERVER, "hi", 2, 1), 0);
    CU_ASSERT_EQUAL(seg(&f, REASM_FROM_CLIENT, "yo", 2, 2), 0); /* decided: promoted */
    CU_ASSERT_EQUAL(rec.opened, 1);
    setup(&pl, &f);
    CU_ASSERT_EQUAL(seg(&f, REASM_FROM_SERVER, "h", 1, 1), 0);
    CU_ASSERT_EQUAL(pipeline_probe_end(&f), -1); /* nothing recognisable before the end */
    CU_ASSERT_EQUAL(rec.opened, 0);
    free(f.probe);
}

/* ---- connections without a handshake ---- */

static unseen_conn told[4];
static unsigned ntold;

static void fake_unseen(void *ctx, const unseen_conn *u)
{
    (void)ctx;
    if (ntold < 4)
        told[ntold] = *u;
    ntold++;
}

static void unseen_setup(pipeline *pl, uint8_t *ports, int detect)
{
    memset(pl, 0, sizeof *pl);
    memset(ports, 0, PIPELINE_PORT_BYTES);
    ports[25 / 8] |= 1u << (25 % 8);
    for (unsigned p = 0; p < PROTO_COUNT; p++)
        pl->an[p] = pipeline_analyser((proto_id)p);
    pl->cfg.ports[PROTO_SMTP] = ports;
    pl->cfg.detect = detect;
    pl->sink.unseen = fake_unseen;
    ntold = 0;
}

static reasm_unseen conn(uint16_t cport, uint16_t sport, const char *cdata, const char *sdata)
{
    reasm_unseen u;
    memset(&u, 0, sizeof u);
    u.client = (reasm_endpoint){4, {192, 0, 2, 1}, cport};
    u.server = (reasm_endpoint){4, {192, 0, 2, 2}, sport};
    u.first = (struct timeval){1, 5};
    u.first_frame = 3;
    u.last_frame = 9;
    u.packets = 4;
    u.bytes = 100;
    u.client_data = (const uint8_t *)cdata;
    u.client_len = strlen(cdata);
    u.server_data = (const uint8_t *)sdata;
    u.server_len = strlen(sdata);
    return u;
}

static void test_unseen_by_port(void)
{
    static uint8_t ports[PIPELINE_PORT_BYTES];
    pipeline pl;
    unseen_setup(&pl, ports, 0);
    reasm_unseen u = conn(40000, 25, "", "");
    pipeline_on_unseen(&pl, &u);
    /* the reassembly's guess had the SMTP port on the client's side: turned around */
    u = conn(25, 40001, "", "");
    pipeline_on_unseen(&pl, &u);
    u = conn(40002, 80, "EHLO x\r\n", "220 mx\r\n"); /* not without --detect */
    pipeline_on_unseen(&pl, &u);
    CU_ASSERT_EQUAL_FATAL(ntold, 2);
    CU_ASSERT_STRING_EQUAL(told[0].client, "192.0.2.1:40000");
    CU_ASSERT_STRING_EQUAL(told[0].server, "192.0.2.2:25");
    CU_ASSERT_EQUAL(told[0].first, 1000005);
    CU_ASSERT_EQUAL(told[0].first_frame, 3);
    CU_ASSERT_EQUAL(told[0].packets, 4);
    CU_ASSERT_STRING_EQUAL(told[1].client, "192.0.2.2:40001");
    CU_ASSERT_STRING_EQUAL(told[1].server, "192.0.2.1:25");
}

static void test_unseen_by_content(void)
{
    static uint8_t ports[PIPELINE_PORT_BYTES];
    pipeline pl;
    unseen_setup(&pl, ports, 1);
    reasm_unseen u = conn(40000, 2526, "", "250 ok\r\n");
    pipeline_on_unseen(&pl, &u);
    u = conn(40001, 2526, "MAIL FROM:<a@b>", "");
    pipeline_on_unseen(&pl, &u);
    u = conn(40002, 8080, "GET / HTTP/1.1\r\n", "HTTP/1.1 200 OK");
    pipeline_on_unseen(&pl, &u);
    /* no SYN/ACK, and the side seen first is the one that replies: it is the server */
    u = conn(2526, 40003, "220 mx\r\n", "EHLO x\r\n");
    pipeline_on_unseen(&pl, &u);
    /* a SYN/ACK said which side serves: no second guess from the bytes (turned around, the
     * reply-looking side would have made it SMTP) */
    u = conn(40004, 2526, "250 ok\r\n", "MAIL FROM:<a@b>\r\n");
    u.oriented = 1;
    pipeline_on_unseen(&pl, &u);
    /* neither side's bytes say who serves: the lower port does, and the command is then the
     * client's */
    u = conn(2526, 40005, "", "EHLO x\r\n");
    pipeline_on_unseen(&pl, &u);
    CU_ASSERT_EQUAL_FATAL(ntold, 4);
    CU_ASSERT_STRING_EQUAL(told[3].client, "192.0.2.2:40005");
    CU_ASSERT_STRING_EQUAL(told[1].client, "192.0.2.1:40001");
    CU_ASSERT_STRING_EQUAL(told[2].client, "192.0.2.2:40003");
    CU_ASSERT_STRING_EQUAL(told[2].server, "192.0.2.1:2526");
}

void add_pipeline_suite(void)
{
    CU_pSuite s = CU_add_suite("pipeline", NULL, NULL);
    CU_add_test(s, "SMTP recognised by content", test_smtp_detect);
    CU_add_test(s, "SMTP bytes without a handshake", test_smtp_looks_like);
    CU_add_test(s, "probation promotes with the held segments in order",
                test_probation_promotes_in_order);
    CU_add_test(s, "probation refuses", test_probation_refuses);
    CU_add_test(s, "an oversized first client segment judged by itself",
                test_probation_overflow_judged_by_segment);
    CU_add_test(s, "probation holds a bounded number of segments", test_probation_segment_bound);
    CU_add_test(s, "probation at the flow's end", test_probation_end);
    CU_add_test(s, "unseen connections by port", test_unseen_by_port);
    CU_add_test(s, "unseen connections by content (--detect)", test_unseen_by_content);
}
