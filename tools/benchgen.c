/* benchgen: writes the large synthetic SMTP captures the benchmark (`make bench`) reads.
 *
 * A fixed number of slots each play one SMTP session after another, so --open connections are
 * open at once however many --sessions the capture holds. Frames are made one at a time, in
 * time order (a heap of slots keyed by the time of each slot's next frame), and written at once
 * with fwrite in the pcap format: memory is set by --open, not by the capture's size, and no
 * frame is ever allocated. Addresses, ports, sequence numbers, message numbers and which
 * sessions fail all follow from the session number, so the same arguments give the same bytes.
 *
 * Every tenth session (--fail-every) fails the way a PIX with Mailguard makes sessions fail,
 * taking in turn one of three forms: the whole Mailguard picture (masked greeting, EHLO refused
 * with 500 "XXXX", the end of data cut after CR LF and never answered, the client giving up
 * without QUIT), only the cut and unanswered end of data, or a delivery whose client closes
 * without QUIT. A slot whose message was not accepted sends the same message again in its
 * next session, as a sending MTA does, so the capture also holds duplicate messages.
 *
 * Usage: benchgen [options] OUT.pcap
 *   --sessions N    sessions in all (default 12000)
 *   --open K        sessions open at once (default 200)
 *   --body BYTES    size of each message body (default 16384)
 *   --short         the envelope pipelined in one segment each way (short sessions)
 *   --fail-every N  every Nth session fails (default 10; 0: none)
 *   --pace N        multiplies every pause of the dialogue by N (default 1)
 *   --pop3          POP3 sessions instead (port 110), the messages going server to client
 *   --retr K        with --pop3: messages each session downloads (default 1)
 *   --week          the soak test's week of mail (below); OUT.pcap may be - (stdout)
 *   --messages N    with --week: distinct messages (default 2000000)
 *   --span D        with --week: capture time they arrive over, D as 90s, 30m, 12h or 7d
 *   --dup-share P   with --week: percent of messages delivered twice (default 5)
 *   --hosts N       with --week: client hosts (default 5000)
 *   --seed N        with --week: changes every random choice (default 1)
 *
 * With --pop3 each session is a Dovecot-like download: greeting, USER/PASS, STAT, UIDL (a
 * multi-line list), then RETR and DELE of each of K messages (the RETR response is the message
 * of --body bytes, dot-stuffed, ending CRLF.CRLF, in MSS-sized segments from the server, as
 * SMTP's DATA goes from the client) and QUIT. The slots, pauses, --open and --pace are the
 * same, so a POP3 capture and an SMTP capture of one shape can be compared MB for MB. The
 * failing sessions (--fail-every) take in turn one of two forms: the client gives up inside
 * the last RETR response (cut), or it closes after its DELEs without QUIT (the server rolls
 * them back). Either way the slot's next session downloads the same messages again. SMTP
 * captures are byte for byte what they were before --pop3 existed: the benchmark's cached
 * captures and its recorded figures stay valid.
 *
 * --week writes the soak test's capture instead (make soak, docs/performance.md): --messages
 * distinct messages (default 2,000,000) arriving evenly, each at a random point of its own
 * share of --span (default 7d) of capture time, from --hosts client hosts (default 5000,
 * 198.18.0.0/16) to four MX servers (198.19.0.25 to .28); each session on its own source port
 * (the Linux ephemeral range), the full dialogue (EHLO, MAIL, RCPT, DATA, the message, QUIT).
 * --dup-share percent of them (default 5) are delivered again 1 minute to 1 day later
 * (log-uniform): six in ten of those first attempts have their end of data cut and never
 * answered, the client giving up after 60 s (the retry starts that much later), the rest were
 * accepted and are sent again anyway. A duplicate that would fall after the span is not made.
 * Message-IDs in four common shapes (Postfix, Gmail, Exchange Online, a UUID), Date from the
 * first attempt; --seed changes every choice. --dup-share 0 gives distinct messages only.
 * --week --messages N, --span D, --seed S and --body B give the same bytes on every run; OUT
 * may be - (standard output), so a week of capture need never be on disk. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/pkt.h"

#define EPOCH_S 1772442000LL /* 2026-03-02 09:00:00 UTC: time 0 of the capture */
#define SNAPLEN 65535
#define MSS 1460
#define ETH_LEN 14
#define IP_LEN 20
#define TCP_LEN 20
#define MSS_OPT 4 /* the only TCP option, on SYN and SYN/ACK */
#define HDRS (ETH_LEN + IP_LEN + TCP_LEN)
#define FRAME_MAX (HDRS + MSS)
#define HDR_MAX 512
#define WINDOW 65535 /* never scaled: the sender stays far below it, see body_frame */

#define F_FIN 0x01
#define F_SYN 0x02
#define F_PSH 0x08
#define F_ACK 0x10

/* Pauses, in microseconds, before pace scales them. */
#define RTT 400          /* client to server and back, for the handshake */
#define REPLY 2000       /* the server's answer to a command */
#define THINK 10000      /* the client's pause before its next command */
#define QUEUE 80000      /* the server's time to queue a message before its 250 */
#define DELACK 40000     /* a receiver's delayed ACK */
#define CUT_GAP 200000   /* between the two parts of a cut end of data */
#define GIVE_UP 60000000 /* how long a client waits for the reply to its end of data */
#define CLOSE 100        /* between one FIN and the next packet */
#define NEXT 1000        /* between the end of a slot's session and the start of its next */
/* Not scaled: the wire's own timing. */
#define WIRE 12    /* one full-sized segment at 1 Gbit/s */
#define ACK_GAP 50 /* a receiver's ACK of every second segment */

enum { CLI = 0, SRV = 1 };

enum op {
    OP_SYN,      /* the client's SYN */
    OP_SYNACK,   /* the server's SYN/ACK */
    OP_ACK,      /* a pure ACK */
    OP_SEND,     /* one segment of text: a command or a reply */
    OP_BODY,     /* the whole message, CR LF . CR LF in its last segment (POP3: the RETR
                    response, its +OK line first) */
    OP_BODY_CUT, /* the message without its last ". CR LF" */
    OP_TAIL,     /* that ". CR LF" alone */
    OP_FIN,      /* FIN with ACK */
    OP_END
};

enum text {
    T_BANNER,
    T_MASKED,
    T_EHLO,
    T_EHLO_OK,
    T_EHLO_500,
    T_HELO,
    T_HELO_OK,
    T_MAIL,
    T_MAIL_OK,
    T_RCPT,
    T_RCPT_OK,
    T_DATA,
    T_DATA_OK,
    T_PIPELINED,    /* MAIL, RCPT and DATA in one segment */
    T_PIPELINED_OK, /* their three replies in one segment */
    T_QUEUED,
    T_QUIT,
    T_BYE,
    /* POP3 (--pop3) */
    P_BANNER,
    P_USER,
    P_USER_OK,
    P_PASS,
    P_PASS_OK,
    P_STAT,
    P_STAT_OK,
    P_UIDL,
    P_UIDL_OK, /* the whole multi-line list in one segment */
    P_RETR,    /* also makes the message the next OP_BODY sends */
    P_DELE,
    P_DELE_OK,
    P_BYE
};

typedef struct step {
    uint8_t op, from, text;
    uint32_t pause; /* microseconds before the step's first frame, scaled by --pace */
} step;

/* One step of a dialogue; the fragments below, built of steps, read as its phrases. */
#define STEP(op, from, text, pause)                                                                \
    {                                                                                              \
        op, from, text, pause                                                                      \
    }
#define HANDSHAKE                                                                                  \
    STEP(OP_SYN, CLI, 0, 0), STEP(OP_SYNACK, SRV, 0, RTT / 2), STEP(OP_ACK, CLI, 0, RTT / 2)
#define SAY(from, text, pause) STEP(OP_SEND, from, text, pause)
#define GREETING SAY(SRV, T_BANNER, REPLY), SAY(CLI, T_EHLO, THINK), SAY(SRV, T_EHLO_OK, REPLY)
#define ENVELOPE                                                                                   \
    SAY(CLI, T_MAIL, THINK), SAY(SRV, T_MAIL_OK, REPLY), SAY(CLI, T_RCPT, THINK),                  \
        SAY(SRV, T_RCPT_OK, REPLY), SAY(CLI, T_DATA, THINK), SAY(SRV, T_DATA_OK, REPLY)
#define PIPELINED SAY(CLI, T_PIPELINED, THINK), SAY(SRV, T_PIPELINED_OK, REPLY)
#define DELIVERY STEP(OP_BODY, CLI, 0, THINK), SAY(SRV, T_QUEUED, QUEUE)
/* Postfix closes first after its 221, then the client. */
#define QUIT                                                                                       \
    SAY(CLI, T_QUIT, THINK), SAY(SRV, T_BYE, REPLY), STEP(OP_FIN, SRV, 0, CLOSE),                  \
        STEP(OP_FIN, CLI, 0, CLOSE), STEP(OP_ACK, SRV, 0, RTT / 2), STEP(OP_END, 0, 0, 0)
/* The client closes without QUIT; the server sees EOF and closes at once. */
#define HANG_UP(pause)                                                                             \
    STEP(OP_FIN, CLI, 0, pause), STEP(OP_FIN, SRV, 0, CLOSE), STEP(OP_ACK, CLI, 0, RTT / 2),       \
        STEP(OP_END, 0, 0, 0)
/* The end of data cut after CR LF; the server ACKs the first part and never answers. */
#define CUT_UNANSWERED                                                                             \
    STEP(OP_BODY_CUT, CLI, 0, THINK), STEP(OP_ACK, SRV, 0, DELACK),                                \
        STEP(OP_TAIL, CLI, 0, CUT_GAP - DELACK), HANG_UP(GIVE_UP)

static const step CLEAN[] = {HANDSHAKE, GREETING, ENVELOPE, DELIVERY, QUIT};
static const step SHORT_CLEAN[] = {HANDSHAKE, GREETING, PIPELINED, DELIVERY, QUIT};
static const step NO_QUIT[] = {HANDSHAKE, GREETING, ENVELOPE, DELIVERY, HANG_UP(THINK)};
static const step SHORT_NO_QUIT[] = {HANDSHAKE, GREETING, PIPELINED, DELIVERY, HANG_UP(THINK)};
static const step SPLIT[] = {HANDSHAKE, GREETING, ENVELOPE, CUT_UNANSWERED};
static const step MAILGUARD[] = {HANDSHAKE,
                                 SAY(SRV, T_MASKED, REPLY),
                                 SAY(CLI, T_EHLO, THINK),
                                 SAY(SRV, T_EHLO_500, REPLY),
                                 SAY(CLI, T_HELO, THINK),
                                 SAY(SRV, T_HELO_OK, REPLY),
                                 ENVELOPE,
                                 CUT_UNANSWERED};

typedef struct config {
    uint64_t sessions, open, body, fail_every;
    double pace;
    int pipelined;
    const char *path;
    int pop3;
    uint64_t retr; /* messages a POP3 session downloads */
    int week;      /* --week: the soak test's capture */
    uint64_t messages, dup_share, hosts, seed;
    int64_t span; /* microseconds */
} config;

typedef struct side {
    uint32_t ip; /* host order */
    uint16_t port, ip_id;
    uint32_t nxt; /* the next sequence number it sends */
} side;

typedef struct session {
    int64_t t;       /* time of its next frame, microseconds from EPOCH_S */
    uint64_t serial; /* 0-based session number: everything else follows from it */
    uint64_t msg;    /* message number: a retry sends the failed session's message again */
    const step *prog;
    unsigned pc;
    uint64_t off;         /* message bytes the current body step has sent */
    unsigned unacked;     /* data segments since the server's last ACK */
    int failing;          /* this session's message will not be accepted (POP3: its downloads
                             will not be committed) */
    uint64_t item;        /* POP3: the message being downloaded, 1-based; 0 before the first RETR */
    uint64_t stat_octets; /* POP3: the mailbox's size, for STAT */
    side end[2];
    size_t hdr_len;
    char hdr[HDR_MAX]; /* the message's header section and its first body line */
} session;

typedef struct gen {
    config cfg;
    FILE *out;
    session *slots;
    uint32_t *heap; /* slot numbers, earliest next frame first */
    size_t heap_n;
    uint64_t next_serial;
    uint64_t filler_len; /* body bytes after the first line, whole lines */
    step *pop3_prog[3];  /* --pop3: clean, cut inside the last RETR, closed without QUIT */
    uint64_t frames, bytes, failed, open_now, open_max;
    int64_t last_t;
    /* --week: messages not yet sent, first attempts in message order and retries in a heap */
    uint64_t next_msg;
    struct retry {
        int64_t t;
        uint64_t msg;
    } * retries;
    size_t retry_n, retry_cap;
    uint64_t dup_unacked, dup_acked;
    uint8_t frame[FRAME_MAX];
} gen;

static void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void fatal(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fputs("benchgen: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

/* ---- the message: header section, a first body line that makes the body unique, then lines
 * of filler repeated to the body size ---- */

enum { FILL_LINES = 64, FILL_MAX = FILL_LINES * 80 };

static char filler[FILL_MAX];
static size_t filler_block;             /* bytes in one pass of the filler */
static size_t line_end[FILL_LINES + 1]; /* offsets just past each filler line's LF */

static const char *const WORDS[] = {
    "the",    "message", "queue",   "relay",   "delivery", "server", "client",  "mailbox",
    "report", "invoice", "budget",  "meeting", "attached", "please", "review",  "before",
    "monday", "thanks",  "regards", "status",  "update",   "team",   "project", "minutes"};

static uint64_t mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/* Lines of 50 to 76 characters of words, the same on every run; no line starts with a dot. */
static void make_filler(void)
{
    size_t n = 0, nwords = sizeof WORDS / sizeof WORDS[0];
    uint64_t r = 1;

    for (int i = 0; i < FILL_LINES; i++) {
        size_t start = n, want = 50 + (size_t)(mix64((uint64_t)i) % 27);
        while (n - start < want) {
            const char *w = WORDS[(r = mix64(r)) % nwords];
            n += (size_t)sprintf(filler + n, n > start ? " %s" : "%s", w);
        }
        filler[n++] = '\r';
        filler[n++] = '\n';
        line_end[i + 1] = n;
    }
    filler_block = n;
}

/* Filler bytes for a body of about `body` bytes: whole lines, at least one. */
static uint64_t filler_for(uint64_t body)
{
    uint64_t passes = body / filler_block, rest = body % filler_block, end = 0;

    for (int i = 1; i <= FILL_LINES && line_end[i] <= rest; i++)
        end = line_end[i];
    if (passes == 0 && end == 0)
        end = line_end[1];
    return passes * filler_block + end;
}

/* The header section and first body line of message m into buf; returns its length. */
static size_t header_text(char *buf, size_t cap, uint64_t m)
{
    int n = snprintf(buf, cap,
                     "Message-ID: <%012" PRIu64 ".bench@client.bench.example>\r\n"
                     "Date: Mon, 2 Mar 2026 09:00:00 +0000\r\n"
                     "From: <sender%" PRIu64 "@client.bench.example>\r\n"
                     "To: <user%" PRIu64 "@bench.example>\r\n"
                     "Subject: benchmark message %" PRIu64 "\r\n"
                     "MIME-Version: 1.0\r\n"
                     "Content-Type: text/plain; charset=us-ascii\r\n"
                     "\r\n"
                     "Reference %012" PRIu64 " of the smtpscope benchmark.\r\n",
                     m, m % 5000, m % 20000, m, m);

    if (n < 0 || (size_t)n >= cap)
        fatal("message header too long");
    return (size_t)n;
}

static void make_header(session *s)
{
    s->hdr_len = header_text(s->hdr, sizeof s->hdr, s->msg);
}

/* ---- POP3: the mailbox a session logs into is numbered like an SMTP session's message (a
 * retry keeps it), and holds messages mailbox * K .. mailbox * K + K - 1 ---- */

/* A line that began with a dot, stuffed as the server sends it, so the analyser meets one in
 * every message. */
static const char STUFFED[] = "..signature follows\r\n";

static uint64_t pop3_msg_number(const gen *g, const session *s, uint64_t item)
{
    return s->msg * g->cfg.retr + item - 1;
}

/* The size of a message as STAT and RETR's +OK give it (RFC 1939: not dot-stuffed). */
static uint64_t pop3_octets(const gen *g, size_t hdr_len)
{
    return hdr_len + sizeof STUFFED - 2 + g->filler_len;
}

static void pop3_stat(const gen *g, session *s)
{
    char buf[HDR_MAX];

    s->stat_octets = 0;
    for (uint64_t i = 1; i <= g->cfg.retr; i++)
        s->stat_octets += pop3_octets(g, header_text(buf, sizeof buf, pop3_msg_number(g, s, i)));
}

/* The RETR response of message s->item up to its filler: the +OK line, the header section,
 * the first body line and the stuffed line; copy_message adds the filler and ". CR LF". */
static void make_pop3_message(const gen *g, session *s)
{
    char head[HDR_MAX];
    size_t len = header_text(head, sizeof head, pop3_msg_number(g, s, s->item));
    int n = snprintf(s->hdr, sizeof s->hdr, "+OK %" PRIu64 " octets\r\n%s%s", pop3_octets(g, len),
                     head, STUFFED);

    if (n < 0 || (size_t)n >= sizeof s->hdr)
        fatal("RETR response header too long");
    s->hdr_len = (size_t)n;
}

/* The message as sent after 354: header, body, then ". CR LF" (the body ends with CR LF). */
static const char TERMINATOR[] = ".\r\n";

static uint64_t message_len(const gen *g, const session *s)
{
    return s->hdr_len + g->filler_len + 3;
}

static void copy_message(const gen *g, const session *s, uint64_t off, size_t len, uint8_t *dst)
{
    uint64_t body_end = s->hdr_len + g->filler_len;

    while (len > 0) {
        size_t n;
        const char *src;
        if (off < s->hdr_len) {
            src = s->hdr + off;
            n = (size_t)(s->hdr_len - off);
        } else if (off < body_end) {
            size_t at = (size_t)((off - s->hdr_len) % filler_block);
            src = filler + at;
            n = filler_block - at;
            if (n > body_end - off)
                n = (size_t)(body_end - off);
        } else {
            src = TERMINATOR + (off - body_end);
            n = (size_t)(message_len(g, s) - off);
        }
        if (n > len)
            n = len;
        memcpy(dst, src, n);
        dst += n;
        off += n;
        len -= n;
    }
}

/* ---- --week: who sends each message, when, and what it looks like; all of it follows from
 * the message number and --seed, so a retry carries the same bytes as its first attempt ---- */

enum { WHAT_DUP, WHAT_UNACKED, WHAT_DELAY, WHAT_ARRIVAL, WHAT_HOST, WHAT_MX, WHAT_ID, WHAT_USER };

#define WEEK_MX 4 /* servers: a domain's few MX hosts */

/* A number for one choice (`what`) about message m. */
static uint64_t pick(const gen *g, uint64_t m, unsigned what)
{
    return mix64(mix64(g->cfg.seed) ^ (m << 4 | what));
}

/* A fraction in [0, 1) for one choice about message m. */
static double pick01(const gen *g, uint64_t m, unsigned what)
{
    return (double)(pick(g, m, what) >> 11) / 9007199254740992.0; /* 2^53 */
}

/* First attempt of message m: a random point of its own 1/N of the span, so arrivals stay in
 * message order without being evenly spaced. */
static int64_t arrival(const gen *g, uint64_t m)
{
    double share = (double)g->cfg.span / (double)g->cfg.messages;

    return (int64_t)(((double)m + pick01(g, m, WHAT_ARRIVAL)) * share);
}

static uint32_t host_of(const gen *g, uint64_t m)
{
    return (uint32_t)(pick(g, m, WHAT_HOST) % g->cfg.hosts);
}

/* Hex digits of x, `n` of them (at most 16), upper or lower case. */
static void hex(char *out, uint64_t x, int n, int upper)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";

    for (int i = n - 1; i >= 0; i--, x >>= 4)
        out[i] = digits[x & 15];
    out[n] = '\0';
}

/* The Message-ID of message m in one of four shapes seen in real mail; `when` is its Date. */
static void message_id(const gen *g, uint64_t m, const struct tm *when, char *out, size_t cap)
{
    uint64_t r = pick(g, m, WHAT_ID), r2 = mix64(r);
    unsigned h = host_of(g, m);
    char a[17], b[17];

    hex(a, r, 16, 1);
    hex(b, r2, 16, 0);
    switch (r % 4) {
    case 0: /* Postfix: the time, then the queue id */
        snprintf(out, cap, "<%04d%02d%02d%02d%02d%02d.%.10s@mail.client%u.example>",
                 when->tm_year + 1900, when->tm_mon + 1, when->tm_mday, when->tm_hour, when->tm_min,
                 when->tm_sec, a, h);
        break;
    case 1: /* Gmail */
        snprintf(out, cap, "<CA%s%s+%.8s@mail.gmail.com>", a, b, b + 4);
        break;
    case 2: /* Exchange Online */
        snprintf(out, cap, "<AM%uPR%02uMB%04u%s@AM%uPR%02uMB%04u.eurprd%02u.prod.outlook.com>",
                 (unsigned)(r2 % 9 + 1), (unsigned)(r2 >> 8) % 10, (unsigned)(r2 >> 16) % 10000, a,
                 (unsigned)(r2 % 9 + 1), (unsigned)(r2 >> 8) % 10, (unsigned)(r2 >> 16) % 10000,
                 (unsigned)(r2 >> 32) % 10);
        break;
    default: /* a UUID, version 4, in lower case */
        hex(a, r, 16, 0);
        snprintf(out, cap, "<%.8s-%.4s-4%.3s-a%.3s-%.12s@client%u.example>", b, b + 8, b + 12,
                 a + 1, a + 4, h);
    }
}

/* The header section and first body line of message m, dated at its first attempt. */
static void week_header(const gen *g, session *s)
{
    time_t when = (time_t)(EPOCH_S + arrival(g, s->msg) / 1000000);
    struct tm tm;
    char id[160], date[64];
    unsigned h = host_of(g, s->msg);
    uint64_t user = pick(g, s->msg, WHAT_USER);
    int n;

    gmtime_r(&when, &tm);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
    message_id(g, s->msg, &tm, id, sizeof id);
    n = snprintf(s->hdr, sizeof s->hdr,
                 "Message-ID: %s\r\nDate: %s\r\nFrom: <user%u@client%u.example>\r\n"
                 "To: <user%u@bench.example>\r\nSubject: week message %" PRIu64 "\r\n"
                 "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
                 "Reference %012" PRIu64 " of the smtpscope soak test.\r\n",
                 id, date, (unsigned)(user % 50), h, (unsigned)(user >> 32) % 20000, s->msg,
                 s->msg);
    if (n < 0 || (size_t)n >= sizeof s->hdr)
        fatal("message header too long");
    s->hdr_len = (size_t)n;
}

/* --week's own client lines, which name the client host; -1 for the lines it shares. */
static int week_text(const gen *g, const session *s, int id, char *out, size_t cap)
{
    unsigned h = host_of(g, s->msg);
    uint64_t user = pick(g, s->msg, WHAT_USER);

    switch (id) {
    case T_EHLO:
        return snprintf(out, cap, "EHLO mail.client%u.example\r\n", h);
    case T_MAIL:
        return snprintf(out, cap, "MAIL FROM:<user%u@client%u.example>\r\n", (unsigned)(user % 50),
                        h);
    case T_RCPT:
        return snprintf(out, cap, "RCPT TO:<user%u@bench.example>\r\n",
                        (unsigned)(user >> 32) % 20000);
    default:
        return -1;
    }
}

/* ---- commands and replies ---- */

static int text(const gen *g, const session *s, int id, char *out, size_t cap)
{
    uint64_t c = s->serial, m = s->msg;
    int n = g->cfg.week ? week_text(g, s, id, out, cap) : -1;

    if (n >= 0)
        return n;
    switch (id) {
    case P_BANNER:
        return snprintf(out, cap, "+OK Dovecot (Debian) ready.\r\n");
    case P_USER:
        return snprintf(out, cap, "USER user%06" PRIu64 "\r\n", m);
    case P_USER_OK:
        return snprintf(out, cap, "+OK\r\n");
    case P_PASS:
        return snprintf(out, cap, "PASS bench-secret-%" PRIu64 "\r\n", m % 97);
    case P_PASS_OK:
        return snprintf(out, cap, "+OK Logged in.\r\n");
    case P_STAT:
        return snprintf(out, cap, "STAT\r\n");
    case P_STAT_OK:
        return snprintf(out, cap, "+OK %" PRIu64 " %" PRIu64 "\r\n", g->cfg.retr, s->stat_octets);
    case P_UIDL:
        return snprintf(out, cap, "UIDL\r\n");
    case P_UIDL_OK: {
        /* Dovecot's default UIDL: the IMAP UID and UIDVALIDITY, 8 hex digits each. */
        int n = snprintf(out, cap, "+OK\r\n");
        for (uint64_t i = 1; i <= g->cfg.retr && n >= 0 && (size_t)n < cap; i++)
            n += snprintf(out + n, cap - (size_t)n, "%" PRIu64 " %08" PRIx64 "5f3a1b2c\r\n", i,
                          pop3_msg_number(g, s, i) & UINT64_C(0xffffffff));
        if (n >= 0 && (size_t)n < cap)
            n += snprintf(out + n, cap - (size_t)n, ".\r\n");
        return n;
    }
    case P_RETR:
        return snprintf(out, cap, "RETR %" PRIu64 "\r\n", s->item);
    case P_DELE:
        return snprintf(out, cap, "DELE %" PRIu64 "\r\n", s->item);
    case P_DELE_OK:
        return snprintf(out, cap, "+OK Marked to be deleted.\r\n");
    case P_BYE:
        return snprintf(out, cap, "+OK Logging out, messages deleted.\r\n");
    case T_BANNER:
        return snprintf(out, cap, "220 mx.bench.example ESMTP Postfix\r\n");
    case T_MASKED:
        return snprintf(out, cap, "220 *********0****************2*****\r\n");
    case T_EHLO:
        return snprintf(out, cap, "EHLO client%" PRIu64 ".bench.example\r\n", c % 65000);
    case T_EHLO_OK:
        return snprintf(out, cap,
                        "250-mx.bench.example\r\n250-PIPELINING\r\n250-SIZE 104857600\r\n"
                        "250-8BITMIME\r\n250 SMTPUTF8\r\n");
    case T_EHLO_500:
        return snprintf(out, cap, "500 5.5.1 Command unrecognized: \"XXXX\"\r\n");
    case T_HELO:
        return snprintf(out, cap, "HELO client%" PRIu64 ".bench.example\r\n", c % 65000);
    case T_HELO_OK:
        return snprintf(out, cap, "250 mx.bench.example Hello, pleased to meet you\r\n");
    case T_MAIL:
        return snprintf(out, cap, "MAIL FROM:<sender%" PRIu64 "@client.bench.example>\r\n",
                        m % 5000);
    case T_MAIL_OK:
        return snprintf(out, cap, "250 2.1.0 Ok\r\n");
    case T_RCPT:
        return snprintf(out, cap, "RCPT TO:<user%" PRIu64 "@bench.example>\r\n", m % 20000);
    case T_RCPT_OK:
        return snprintf(out, cap, "250 2.1.5 Ok\r\n");
    case T_DATA:
        return snprintf(out, cap, "DATA\r\n");
    case T_DATA_OK:
        return snprintf(out, cap, "354 End data with <CR><LF>.<CR><LF>\r\n");
    case T_PIPELINED:
        return snprintf(out, cap,
                        "MAIL FROM:<sender%" PRIu64 "@client.bench.example>\r\n"
                        "RCPT TO:<user%" PRIu64 "@bench.example>\r\nDATA\r\n",
                        m % 5000, m % 20000);
    case T_PIPELINED_OK:
        return snprintf(out, cap,
                        "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n");
    case T_QUEUED:
        return snprintf(out, cap, "250 2.0.0 Ok: queued as %010" PRIX64 "\r\n",
                        mix64(c) & UINT64_C(0xffffffffff));
    case T_QUIT:
        return snprintf(out, cap, "QUIT\r\n");
    default:
        return snprintf(out, cap, "221 2.0.0 Bye\r\n");
    }
}

/* ---- frames ---- */

static void write_frame(gen *g, int64_t t, size_t len)
{
    int64_t us = EPOCH_S * 1000000 + t;
    uint32_t rec[4] = {(uint32_t)(us / 1000000), (uint32_t)(us % 1000000), (uint32_t)len,
                       (uint32_t)len};

    if (fwrite(rec, sizeof rec, 1, g->out) != 1 || fwrite(g->frame, len, 1, g->out) != 1)
        fatal("%s: %s", g->cfg.path, strerror(errno));
    g->frames++;
    g->bytes += sizeof rec + len;
    g->last_t = t;
}

/* Ethernet, IPv4 and TCP headers in front of the `extra` bytes (options, then payload) already
 * at frame + HDRS; both checksums computed. The sender's sequence number moves on. */
static void emit(gen *g, session *s, int from, uint8_t flags, size_t opt, size_t extra)
{
    static const uint8_t mac[2][6] = {{2, 0, 0, 0, 0, 1}, {2, 0, 0, 0, 0, 2}};
    side *snd = &s->end[from], *rcv = &s->end[!from];
    uint8_t *e = g->frame, *ip = e + ETH_LEN, *th = ip + IP_LEN;
    size_t tcp_len = TCP_LEN + extra;

    memcpy(e, mac[!from], 6);
    memcpy(e + 6, mac[from], 6);
    pkt_put16(e + 12, 0x0800);
    ip[0] = 0x45;
    ip[1] = 0;
    pkt_put16(ip + 2, (uint32_t)(IP_LEN + tcp_len));
    pkt_put16(ip + 4, snd->ip_id++);
    pkt_put16(ip + 6, 0x4000); /* don't fragment */
    ip[8] = 64;
    ip[9] = 6;
    pkt_put32(ip + 12, snd->ip);
    pkt_put32(ip + 16, rcv->ip);
    pkt_ip4_checksum(ip);
    pkt_put16(th, snd->port);
    pkt_put16(th + 2, rcv->port);
    pkt_put32(th + 4, snd->nxt);
    pkt_put32(th + 8, flags & F_ACK ? rcv->nxt : 0);
    th[12] = (uint8_t)((TCP_LEN + opt) / 4 << 4);
    th[13] = flags;
    pkt_put16(th + 14, WINDOW);
    pkt_put32(th + 16, 0); /* checksum, urgent pointer */
    pkt_put16(th + 16, pkt_tcp_checksum(th, tcp_len, pkt_tcp_pseudo(ip + 12, ip + 16, 4, tcp_len)));
    snd->nxt += (uint32_t)(extra - opt) + ((flags & (F_SYN | F_FIN)) != 0);
    write_frame(g, s->t, HDRS + extra);
}

static void emit_syn(gen *g, session *s, int from, uint8_t flags)
{
    uint8_t *opt = g->frame + HDRS;

    opt[0] = 2; /* maximum segment size */
    opt[1] = 4;
    pkt_put16(opt + 2, MSS);
    emit(g, s, from, flags, MSS_OPT, MSS_OPT);
}

static void emit_text(gen *g, session *s, int from, int id)
{
    int n = text(g, s, id, (char *)g->frame + HDRS, MSS + 1);

    if (n < 0 || n > MSS)
        fatal("text %d too long", id);
    emit(g, s, from, F_ACK | F_PSH, 0, (size_t)n);
}

/* The bytes of a message segment starting at off: at most MSS, and never leaving fewer than 5
 * for the last segment, so CR LF . CR LF stays whole unless a step cuts it on purpose. */
static size_t segment_len(uint64_t off, uint64_t end)
{
    uint64_t rest = end - off;

    if (rest > MSS && rest < MSS + 5)
        return (size_t)(rest - 5);
    return rest > MSS ? MSS : (size_t)rest;
}

/* One frame of a message sent up to `end` by `from` (SMTP: the client, POP3: the server): a
 * data segment, or the receiver's ACK of every second one. With at most two segments
 * unacknowledged the sender stays inside the 64 KB window that libnids checks. Returns 1 once
 * the segment holding `end` has gone. */
static int body_frame(gen *g, session *s, int from, uint64_t end)
{
    size_t len;

    if (s->unacked == 2) {
        emit(g, s, !from, F_ACK, 0, 0);
        s->unacked = 0;
        s->t += WIRE;
        return 0;
    }
    len = segment_len(s->off, end);
    copy_message(g, s, s->off, len, g->frame + HDRS);
    emit(g, s, from, F_ACK | F_PSH, 0, len);
    s->off += len;
    if (s->off == end)
        return 1;
    s->t += ++s->unacked == 2 ? ACK_GAP : WIRE;
    return 0;
}

/* ---- sessions ---- */

static int64_t scaled(const gen *g, uint32_t pause)
{
    return (int64_t)((double)pause * g->cfg.pace + 0.5);
}

static void count_open(gen *g, int delta)
{
    g->open_now += (uint64_t)(int64_t)delta;
    if (g->open_now > g->open_max)
        g->open_max = g->open_now;
}

/* The step at pc is done: on to the next, whose first frame comes after its pause. */
static void next_step(gen *g, session *s)
{
    s->pc++;
    s->off = 0;
    s->unacked = 0;
    s->t += scaled(g, s->prog[s->pc].pause);
}

/* Makes the frame (or one of the frames) of the current step. Returns 0 when the session has
 * ended. */
static int advance(gen *g, session *s)
{
    const step *st = &s->prog[s->pc];
    uint64_t len = message_len(g, s);

    switch (st->op) {
    case OP_SYN:
        emit_syn(g, s, CLI, F_SYN);
        count_open(g, 1);
        break;
    case OP_SYNACK:
        emit_syn(g, s, SRV, F_SYN | F_ACK);
        break;
    case OP_ACK:
        emit(g, s, st->from, F_ACK, 0, 0);
        break;
    case OP_SEND:
        if (st->text == P_RETR) {
            s->item++;
            make_pop3_message(g, s);
        }
        emit_text(g, s, st->from, st->text);
        break;
    case OP_BODY:
    case OP_BODY_CUT:
        if (!body_frame(g, s, st->from, st->op == OP_BODY ? len : len - 3))
            return 1;
        break;
    case OP_TAIL:
        copy_message(g, s, len - 3, 3, g->frame + HDRS);
        emit(g, s, CLI, F_ACK | F_PSH, 0, 3);
        break;
    case OP_FIN:
        emit(g, s, st->from, F_FIN | F_ACK, 0, 0);
        break;
    default:
        count_open(g, -1);
        return 0;
    }
    next_step(g, s);
    return 1;
}

/* The POP3 programs, built once K (--retr) is known: form 0 clean, 1 cut inside the last
 * RETR response (the client gives up waiting for the rest), 2 closed without QUIT after the
 * DELEs (Dovecot rolls them back). */
static step *pop3_program(uint64_t k, int form)
{
    static const step login[] = {HANDSHAKE,
                                 SAY(SRV, P_BANNER, REPLY),
                                 SAY(CLI, P_USER, THINK),
                                 SAY(SRV, P_USER_OK, REPLY),
                                 SAY(CLI, P_PASS, THINK),
                                 SAY(SRV, P_PASS_OK, REPLY),
                                 SAY(CLI, P_STAT, THINK),
                                 SAY(SRV, P_STAT_OK, REPLY),
                                 SAY(CLI, P_UIDL, THINK),
                                 SAY(SRV, P_UIDL_OK, REPLY)};
    static const step one[] = {SAY(CLI, P_RETR, THINK), STEP(OP_BODY, SRV, 0, REPLY),
                               SAY(CLI, P_DELE, THINK), SAY(SRV, P_DELE_OK, REPLY)};
    static const step cut[] = {SAY(CLI, P_RETR, THINK), STEP(OP_BODY_CUT, SRV, 0, REPLY),
                               HANG_UP(GIVE_UP)};
    static const step quit[] = {SAY(CLI, T_QUIT, THINK),       SAY(SRV, P_BYE, REPLY),
                                STEP(OP_FIN, SRV, 0, CLOSE),   STEP(OP_FIN, CLI, 0, CLOSE),
                                STEP(OP_ACK, SRV, 0, RTT / 2), STEP(OP_END, 0, 0, 0)};
    static const step no_quit[] = {HANG_UP(THINK)};
    size_t n = 0, cap = sizeof login / sizeof *login + k * (sizeof one / sizeof *one) +
                        sizeof quit / sizeof *quit + sizeof cut / sizeof *cut;
    step *p = malloc(cap * sizeof *p);

    if (p == NULL)
        fatal("out of memory");
#define APPEND(a)                                                                                  \
    do {                                                                                           \
        memcpy(p + n, a, sizeof a);                                                                \
        n += sizeof a / sizeof *a;                                                                 \
    } while (0)
    APPEND(login);
    for (uint64_t i = 0; i < k - (form == 1); i++)
        APPEND(one);
    if (form == 0)
        APPEND(quit);
    else if (form == 1)
        APPEND(cut);
    else
        APPEND(no_quit);
#undef APPEND
    return p;
}

/* Which program session n plays: every fail_every-th fails, in one of three ways in turn. */
static const step *program(const gen *g, uint64_t n, int *failing)
{
    uint64_t every = g->cfg.fail_every;

    *failing = 0;
    if (g->cfg.pop3) {
        if (every == 0 || n % every != every - 1)
            return g->pop3_prog[0];
        *failing = 1;
        return g->pop3_prog[1 + n / every % 2];
    }
    if (every == 0 || n % every != every - 1)
        return g->cfg.pipelined ? SHORT_CLEAN : CLEAN;
    switch (n / every % 3) {
    case 0:
        *failing = 1;
        return MAILGUARD;
    case 1:
        *failing = 1;
        return SPLIT;
    default:
        return g->cfg.pipelined ? SHORT_NO_QUIT : NO_QUIT;
    }
}

/* Clients in 198.18.0.0/16 and the server in 198.19.0.0/16: the range RFC 2544 sets aside for
 * benchmarks. Each session number has its own address and port pair. */
static void start_session(gen *g, session *s, int64_t t)
{
    uint64_t n = g->next_serial++, isn = mix64(n);
    int retry = s->prog != NULL && s->failing;

    s->t = t;
    s->serial = n;
    s->msg = retry ? s->msg : n;
    s->prog = program(g, n, &s->failing);
    s->pc = 0;
    s->off = 0;
    s->unacked = 0;
    s->end[CLI] = (side){0xc6120000u + (uint32_t)(1 + n % 65000), (uint16_t)(1024 + n / 65000),
                         (uint16_t)isn, (uint32_t)isn};
    s->end[SRV] = (side){0xc6130019u, 25, (uint16_t)(isn >> 16), (uint32_t)(isn >> 32)};
    g->failed += (uint64_t)s->failing;
    s->item = 0;
    if (g->cfg.pop3) {
        s->end[SRV].ip = 0xc613006eu; /* 198.19.0.110 */
        s->end[SRV].port = 110;
        pop3_stat(g, s);
        s->hdr_len = 0; /* the message comes with each RETR */
    } else {
        make_header(s);
    }
}

/* ---- the heap of slots, earliest next frame first (ties: the lower slot) ---- */

static int earlier(const gen *g, uint32_t a, uint32_t b)
{
    int64_t ta = g->slots[a].t, tb = g->slots[b].t;

    return ta < tb || (ta == tb && a < b);
}

static void sift_down(gen *g, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < g->heap_n && earlier(g, g->heap[l], g->heap[m]))
            m = l;
        if (r < g->heap_n && earlier(g, g->heap[r], g->heap[m]))
            m = r;
        if (m == i)
            return;
        uint32_t tmp = g->heap[i];
        g->heap[i] = g->heap[m];
        g->heap[m] = tmp;
        i = m;
    }
}

/* The time a session of program p lasts, body aside. */
static int64_t program_duration(const gen *g, const step *p)
{
    int64_t d = 0;

    for (; p->op != OP_END; p++)
        d += scaled(g, p->pause);
    return d;
}

/* The time a session of the clean program lasts: starting the slots that far apart over that
 * time brings --open sessions open at once from the first close on. */
static int64_t clean_duration(const gen *g)
{
    return program_duration(g, g->cfg.pop3        ? g->pop3_prog[0]
                               : g->cfg.pipelined ? SHORT_CLEAN
                                                  : CLEAN);
}

/* ---- --week: the schedule. First attempts come in message order; a duplicated message's
 * next attempt goes into a heap of retries, earliest first, when its first attempt starts ----
 */

#define MINUTE INT64_C(60000000)
#define DAY (1440 * MINUTE)

/* Swaps retries i and j. */
static void retry_swap(gen *g, size_t i, size_t j)
{
    struct retry tmp = g->retries[i];

    g->retries[i] = g->retries[j];
    g->retries[j] = tmp;
}

static void retry_push(gen *g, int64_t t, uint64_t m)
{
    size_t i = g->retry_n++;

    if (g->retry_n > g->retry_cap) {
        g->retry_cap = g->retry_cap ? 2 * g->retry_cap : 1024;
        g->retries = realloc(g->retries, g->retry_cap * sizeof *g->retries);
        if (g->retries == NULL)
            fatal("out of memory for retries");
    }
    g->retries[i] = (struct retry){t, m};
    for (; i > 0 && g->retries[(i - 1) / 2].t > t; i = (i - 1) / 2)
        retry_swap(g, i, (i - 1) / 2);
}

static struct retry retry_pop(gen *g)
{
    struct retry top = g->retries[0];
    size_t i = 0;

    g->retries[0] = g->retries[--g->retry_n];
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < g->retry_n && g->retries[l].t < g->retries[m].t)
            m = l;
        if (r < g->retry_n && g->retries[r].t < g->retries[m].t)
            m = r;
        if (m == i)
            return top;
        retry_swap(g, i, m);
        i = m;
    }
}

/* Whether message m's first attempt goes unanswered (a real retry follows) or is accepted and
 * sent again anyway. */
static int unacked_first(const gen *g, uint64_t m)
{
    return pick(g, m, WHAT_UNACKED) % 10 < 6;
}

/* When message m is sent again, or -1: not duplicated, or its copy would fall after the span.
 * 1 minute to 1 day after the first attempt ended, log-uniform, as queue retries spread. */
static int64_t retry_time(const gen *g, uint64_t m)
{
    int64_t t = arrival(g, m), delay;

    if (pick(g, m, WHAT_DUP) % 100 >= g->cfg.dup_share)
        return -1;
    delay = (int64_t)((double)MINUTE * exp(pick01(g, m, WHAT_DELAY) * log(1440.0)));
    if (unacked_first(g, m))
        t += program_duration(g, SPLIT);
    t += delay;
    return t <= g->cfg.span ? t : -1;
}

/* The next message to send and when: a first attempt or a retry, whichever is due first.
 * Returns 0 when none is left. */
static int week_pull(gen *g, int64_t *t, uint64_t *m, int *first)
{
    int have_new = g->next_msg < g->cfg.messages;
    int64_t t_new = have_new ? arrival(g, g->next_msg) : 0;

    if (g->retry_n > 0 && (!have_new || g->retries[0].t < t_new)) {
        struct retry r = retry_pop(g);
        *t = r.t;
        *m = r.msg;
        *first = 0;
        return 1;
    }
    if (!have_new)
        return 0;
    *t = t_new;
    *m = g->next_msg++;
    *first = 1;
    return 1;
}

/* Starts the slot's next session at the schedule's next time (or, if the slot was busy then,
 * just after): client host and MX by message, source port by session. Returns 0 when the
 * schedule is done. */
static int week_start(gen *g, session *s, int64_t free_at)
{
    int64_t t, again;
    uint64_t m, n, isn;
    int first;

    if (!week_pull(g, &t, &m, &first))
        return 0;
    n = g->next_serial++;
    isn = mix64(n);
    again = first ? retry_time(g, m) : -1;
    if (again >= 0) {
        retry_push(g, again, m);
        g->dup_unacked += (uint64_t)unacked_first(g, m);
        g->dup_acked += (uint64_t)!unacked_first(g, m);
    }
    *s = (session){.t = t > free_at ? t : free_at, .serial = n, .msg = m};
    s->failing = again >= 0 && unacked_first(g, m);
    s->prog = s->failing ? SPLIT : CLEAN;
    g->failed += (uint64_t)s->failing;
    s->end[CLI] = (side){0xc6120001u + host_of(g, m), (uint16_t)(32768 + n % 28232), (uint16_t)isn,
                         (uint32_t)isn};
    s->end[SRV] = (side){0xc6130019u + (uint32_t)(pick(g, m, WHAT_MX) % WEEK_MX), 25,
                         (uint16_t)(isn >> 16), (uint32_t)(isn >> 32)};
    week_header(g, s);
    return 1;
}

static void start_slots(gen *g)
{
    uint64_t k = g->cfg.week                     ? g->cfg.open
                 : g->cfg.open < g->cfg.sessions ? g->cfg.open
                                                 : g->cfg.sessions;
    int64_t stagger = clean_duration(g) / (int64_t)(k ? k : 1);

    g->slots = calloc(k, sizeof *g->slots);
    g->heap = malloc(k * sizeof *g->heap);
    if (g->slots == NULL || g->heap == NULL)
        fatal("out of memory for %" PRIu64 " slots", k);
    for (uint64_t i = 0; i < k; i++) {
        if (!g->cfg.week)
            start_session(g, &g->slots[i], (int64_t)i * stagger);
        else if (!week_start(g, &g->slots[i], 0))
            break;                /* fewer messages than slots */
        g->heap[i] = (uint32_t)i; /* in time order already: a valid heap */
        g->heap_n = (size_t)i + 1;
    }
}

/* The slot's next session, once its last has ended. Returns 0 when there is none. */
static int start_next(gen *g, session *s)
{
    int64_t free_at = s->t + scaled(g, NEXT);

    if (g->cfg.week)
        return week_start(g, s, free_at);
    if (g->next_serial >= g->cfg.sessions)
        return 0;
    start_session(g, s, free_at);
    return 1;
}

/* Writes frames in time order until every slot has played its last session. */
static void run(gen *g)
{
    while (g->heap_n > 0) {
        session *s = &g->slots[g->heap[0]];
        if (!advance(g, s) && !start_next(g, s))
            g->heap[0] = g->heap[--g->heap_n];
        sift_down(g, 0);
    }
}

/* ---- the command line ---- */

static void usage(void)
{
    fputs("usage: benchgen [--sessions N] [--open K] [--body BYTES] [--short]\n"
          "                [--fail-every N] [--pace N] [--pop3 [--retr K]] OUT.pcap\n"
          "       benchgen --week [--messages N] [--span D] [--dup-share P] [--hosts N]\n"
          "                [--seed N] [--open K] [--body BYTES] [--pace N] OUT.pcap|-\n",
          stderr);
    exit(2);
}

static uint64_t number(const char *s, uint64_t min, uint64_t max)
{
    char *end;
    unsigned long long v;

    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno || end == s || *end || *s == '-' || v < min || v > max)
        fatal("bad number '%s' (%" PRIu64 "..%" PRIu64 ")", s, min, max);
    return v;
}

/* A duration: a whole number of s, m, h or d (seconds without a unit), in microseconds. */
static int64_t duration(const char *s)
{
    static const char units[] = "smhd";
    static const int64_t scale[] = {1, 60, 3600, 86400};
    char buf[32];
    size_t n = strlen(s);
    const char *u = n > 0 && n < sizeof buf ? strchr(units, s[n - 1]) : NULL;
    int64_t k = u != NULL && *u ? scale[u - units] : 1;

    if (n == 0 || n >= sizeof buf)
        fatal("bad duration '%s'", s);
    memcpy(buf, s, n + 1);
    if (u != NULL && *u)
        buf[n - 1] = '\0';
    return (int64_t)number(buf, 1, (uint64_t)(366 * 86400 / k)) * k * 1000000;
}

/* --week's defaults where the options left them, and the options it does not take. */
static void week_defaults(config *c, int open_given, int body_given, int classic_given)
{
    if (classic_given || c->pop3 || c->pipelined)
        fatal("--week takes no --sessions, --fail-every, --short or --pop3");
    if (!open_given) /* slots: more than the sessions open at once at 3 a second */
        c->open = 32;
    if (!body_given)
        c->body = 1024;
}

static void parse(int argc, char **argv, config *c)
{
    static const struct option opts[] = {{"sessions", required_argument, 0, 's'},
                                         {"open", required_argument, 0, 'o'},
                                         {"body", required_argument, 0, 'b'},
                                         {"short", no_argument, 0, 'S'},
                                         {"fail-every", required_argument, 0, 'f'},
                                         {"pace", required_argument, 0, 'p'},
                                         {"pop3", no_argument, 0, 'P'},
                                         {"retr", required_argument, 0, 'r'},
                                         {"week", no_argument, 0, 'W'},
                                         {"messages", required_argument, 0, 'm'},
                                         {"span", required_argument, 0, 'd'},
                                         {"dup-share", required_argument, 0, 'u'},
                                         {"hosts", required_argument, 0, 'h'},
                                         {"seed", required_argument, 0, 'x'},
                                         {0, 0, 0, 0}};
    int ch, open_given = 0, body_given = 0, classic_given = 0;

    *c = (config){.sessions = 12000,
                  .open = 200,
                  .body = 16384,
                  .fail_every = 10,
                  .pace = 1.0,
                  .retr = 1,
                  .messages = 2000000,
                  .span = INT64_C(7) * 86400 * 1000000,
                  .dup_share = 5,
                  .hosts = 5000,
                  .seed = 1};
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (ch == 's')
            c->sessions = number(optarg, 1, UINT64_C(65000) * 60000);
        else if (ch == 'o')
            c->open = number(optarg, 1, 1000000);
        else if (ch == 'b')
            c->body = number(optarg, 1, UINT64_C(1) << 32);
        else if (ch == 'W')
            c->week = 1;
        else if (ch == 'm')
            c->messages = number(optarg, 1, UINT64_C(1) << 32);
        else if (ch == 'd')
            c->span = duration(optarg);
        else if (ch == 'u')
            c->dup_share = number(optarg, 0, 100);
        else if (ch == 'h') /* client addresses stay inside 198.18.0.0/16 */
            c->hosts = number(optarg, 1, 65000);
        else if (ch == 'x')
            c->seed = number(optarg, 0, UINT64_MAX);
        else if (ch == 'S')
            c->pipelined = 1;
        else if (ch == 'f')
            c->fail_every = number(optarg, 0, 1000000);
        else if (ch == 'p')
            c->pace = (double)number(optarg, 1, 1000);
        else if (ch == 'P')
            c->pop3 = 1;
        else if (ch == 'r') /* the UIDL list stays in one segment */
            c->retr = number(optarg, 1, 64);
        else
            usage();
        open_given |= ch == 'o';
        body_given |= ch == 'b';
        classic_given |= ch == 's' || ch == 'f';
    }
    if (optind != argc - 1 || (c->pop3 && c->pipelined))
        usage();
    if (c->week)
        week_defaults(c, open_given, body_given, classic_given);
    c->path = argv[optind];
}

static void write_file_header(gen *g)
{
    uint32_t h[6] = {0xa1b2c3d4u, 2 | 4u << 16, 0, 0, SNAPLEN, 1 /* Ethernet */};

    if (fwrite(h, sizeof h, 1, g->out) != 1)
        fatal("%s: %s", g->cfg.path, strerror(errno));
    g->bytes = sizeof h;
}

/* What was written, on `f`: standard error when the capture went to standard output. */
static void report(const gen *g, FILE *f)
{
    fprintf(f,
            "%s: %" PRIu64 " sessions (%" PRIu64 " %s), %" PRIu64 " frames, %" PRIu64
            " bytes, %" PRIu64 " open at most, %.1f s of traffic\n",
            g->cfg.path, g->next_serial, g->failed,
            g->cfg.pop3 ? "downloads not committed" : "not delivered", g->frames, g->bytes,
            g->open_max, (double)g->last_t / 1e6);
    if (g->cfg.week)
        fprintf(f,
                "%s: %" PRIu64 " messages, %" PRIu64 " sent twice (%" PRIu64
                " after an unanswered end of data, %" PRIu64 " after a 250)\n",
                g->cfg.path, g->cfg.messages, g->dup_unacked + g->dup_acked, g->dup_unacked,
                g->dup_acked);
}

int main(int argc, char **argv)
{
    static gen g;

    parse(argc, argv, &g.cfg);
    make_filler();
    g.filler_len = filler_for(g.cfg.body);
    for (int form = 0; g.cfg.pop3 && form < 3; form++)
        g.pop3_prog[form] = pop3_program(g.cfg.retr, form);
    g.out = strcmp(g.cfg.path, "-") == 0 ? stdout : fopen(g.cfg.path, "wb");
    if (g.out == NULL)
        fatal("%s: %s", g.cfg.path, strerror(errno));
    setvbuf(g.out, NULL, _IOFBF, 1 << 22);
    write_file_header(&g);
    start_slots(&g);
    run(&g);
    if (fclose(g.out) != 0)
        fatal("%s: %s", g.cfg.path, strerror(errno));
    report(&g, g.out == stdout ? stderr : stdout);
    free(g.slots);
    free(g.heap);
    free(g.retries);
    for (int form = 0; form < 3; form++)
        free(g.pop3_prog[form]);
    return 0;
}
