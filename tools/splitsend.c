/*
 * splitsend — a minimal SMTP client that delivers one message and controls exactly how the
 * end-of-data terminator (CR LF . CR LF) is cut into TCP segments, and how the session ends.
 *
 * It exists to make real packet captures against a real MTA for smtpscope's tests: a stock
 * client always sends the terminator in one segment and always says QUIT, so the interesting
 * cases (terminator split across segments, FIN or RST without QUIT) need a client of our own.
 *
 * TCP_NODELAY is set so that every write() leaves as its own segment instead of waiting for
 * Nagle; a pause between writes keeps the kernel from merging two writes into one segment.
 */
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* RFC 5321 limits a reply line to 512 octets; twice that leaves room for broken servers. */
#define LINE_MAX_LEN 1024
/* Enough for any sane EHLO reply; longer replies are kept truncated, never overflowed. */
#define REPLY_TEXT_MAX 4096
#define RECV_BUF_LEN 4096
#define CMD_MAX_LEN 1100
#define MESSAGE_MAX_LEN 4096

static const char TERMINATOR[] = "\r\n.\r\n";
#define TERMINATOR_LEN 5

struct options {
    const char *server;
    int port;
    const char *from;
    const char *to;
    const char *message_id;
    const char *hello_name;
    int use_helo;
    int cut;
    int cut_delay_ms;
    int timeout_s;
    int no_quit;
    int rst;
    int pipelining;
    int abort_after_data;
};

/* Buffered reader: one recv() may carry several reply lines (pipelining, multi-line EHLO). */
struct conn {
    int fd;
    int broken; /* set once a send or receive failed: then QUIT is pointless */
    char buf[RECV_BUF_LEN];
    size_t len;
};

struct reply {
    int code;
    char text[REPLY_TEXT_MAX]; /* the reply's lines, each ending in '\n', without CR LF */
    size_t text_len;
};

static struct timespec start_time;

/* Elapsed seconds since start, so log lines can be matched with the capture's relative times. */
static double elapsed(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start_time.tv_sec) +
           (double)(now.tv_nsec - start_time.tv_nsec) / 1e9;
}

static void logmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void logmsg(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "[%8.3f] ", elapsed());
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static void usage(FILE *out)
{
    fputs("usage: splitsend --server ADDR --port N --from ADDR --to ADDR [options]\n"
          "Deliver one message over SMTP with control over segmentation and session end.\n"
          "\n"
          "  --server ADDR       IPv4 address of the SMTP server (default 127.0.0.1)\n"
          "  --port N            TCP port (default 25)\n"
          "  --from ADDR         envelope and header sender\n"
          "  --to ADDR           envelope and header recipient\n"
          "  --message-id ID     Message-ID, without the angle brackets (default: generated)\n"
          "  --ehlo NAME         greet with EHLO NAME (default: EHLO client.example.test)\n"
          "  --helo NAME         greet with HELO NAME instead\n"
          "  --cut N             cut CR LF . CR LF after byte N (1..4) into two writes;\n"
          "                      0 (default) sends it with the body in one write\n"
          "  --cut-delay MS      pause between the two writes (default 200)\n"
          "  --pipelining        send MAIL, RCPT and DATA in one write (needs PIPELINING)\n"
          "  --no-quit           after the end-of-data reply, close with FIN, no QUIT\n"
          "  --rst               after the end-of-data reply, close with RST (implies\n"
          "                      --no-quit)\n"
          "  --abort-after-data  after 354 send the body without the terminator (with\n"
          "                      --cut N only its first N bytes), then close at once\n"
          "  --timeout S         receive timeout in seconds (default 10)\n"
          "  --help              show this help\n"
          "\n"
          "Replies are logged to stderr with elapsed time. Exit status: 0 delivered as asked,\n"
          "1 unexpected reply or network error, 2 usage error.\n",
          out);
}

static int parse_int(const char *s, int lo, int hi, const char *what)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) {
        fprintf(stderr, "splitsend: %s must be an integer in %d..%d, got '%s'\n", what, lo, hi, s);
        exit(2);
    }
    return (int)v;
}

/* Addresses and names go into SMTP commands verbatim, so refuse anything that could break
 * the command line (CR, LF, angle brackets) or exceed the bounded command buffer. */
static void check_token(const char *s, const char *what)
{
    if (strlen(s) > 255 || strpbrk(s, "\r\n<> \t") != NULL || *s == '\0') {
        fprintf(stderr, "splitsend: bad %s '%s'\n", what, s);
        exit(2);
    }
}

static void parse_options(int argc, char **argv, struct options *o)
{
    enum {
        O_SERVER = 256,
        O_PORT,
        O_FROM,
        O_TO,
        O_MSGID,
        O_EHLO,
        O_HELO,
        O_CUT,
        O_DELAY,
        O_NOQUIT,
        O_RST,
        O_PIPE,
        O_ABORT,
        O_TIMEOUT,
        O_HELP
    };
    static const struct option longopts[] = {
        {"server", required_argument, NULL, O_SERVER},
        {"port", required_argument, NULL, O_PORT},
        {"from", required_argument, NULL, O_FROM},
        {"to", required_argument, NULL, O_TO},
        {"message-id", required_argument, NULL, O_MSGID},
        {"ehlo", required_argument, NULL, O_EHLO},
        {"helo", required_argument, NULL, O_HELO},
        {"cut", required_argument, NULL, O_CUT},
        {"cut-delay", required_argument, NULL, O_DELAY},
        {"no-quit", no_argument, NULL, O_NOQUIT},
        {"rst", no_argument, NULL, O_RST},
        {"pipelining", no_argument, NULL, O_PIPE},
        {"abort-after-data", no_argument, NULL, O_ABORT},
        {"timeout", required_argument, NULL, O_TIMEOUT},
        {"help", no_argument, NULL, O_HELP},
        {NULL, 0, NULL, 0},
    };
    int c, greetings = 0;

    *o = (struct options){.server = "127.0.0.1",
                          .port = 25,
                          .hello_name = "client.example.test",
                          .cut_delay_ms = 200,
                          .timeout_s = 10};
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case O_SERVER:
            o->server = optarg;
            break;
        case O_PORT:
            o->port = parse_int(optarg, 1, 65535, "--port");
            break;
        case O_FROM:
            o->from = optarg;
            break;
        case O_TO:
            o->to = optarg;
            break;
        case O_MSGID:
            o->message_id = optarg;
            break;
        case O_EHLO:
            o->hello_name = optarg;
            o->use_helo = 0;
            greetings++;
            break;
        case O_HELO:
            o->hello_name = optarg;
            o->use_helo = 1;
            greetings++;
            break;
        case O_CUT:
            o->cut = parse_int(optarg, 0, TERMINATOR_LEN - 1, "--cut");
            break;
        case O_DELAY:
            o->cut_delay_ms = parse_int(optarg, 0, 60000, "--cut-delay");
            break;
        case O_NOQUIT:
            o->no_quit = 1;
            break;
        case O_RST:
            o->rst = 1;
            o->no_quit = 1;
            break;
        case O_PIPE:
            o->pipelining = 1;
            break;
        case O_ABORT:
            o->abort_after_data = 1;
            break;
        case O_TIMEOUT:
            o->timeout_s = parse_int(optarg, 1, 3600, "--timeout");
            break;
        case O_HELP:
            usage(stdout);
            exit(0);
        default:
            usage(stderr);
            exit(2);
        }
    }
    if (optind != argc || o->from == NULL || o->to == NULL || greetings > 1) {
        usage(stderr);
        exit(2);
    }
    if (o->pipelining && o->use_helo) {
        fputs("splitsend: --pipelining needs EHLO, not HELO\n", stderr);
        exit(2);
    }
    check_token(o->from, "--from");
    check_token(o->to, "--to");
    check_token(o->hello_name, "--ehlo/--helo");
    if (o->message_id != NULL)
        check_token(o->message_id, "--message-id");
}

static void sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static int connect_server(const struct options *o)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((unsigned short)o->port)};
    struct timeval tv = {.tv_sec = o->timeout_s};
    int one = 1, fd;

    if (inet_pton(AF_INET, o->server, &sa.sin_addr) != 1) {
        fprintf(stderr, "splitsend: --server must be an IPv4 address, got '%s'\n", o->server);
        exit(2);
    }
    fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        perror("splitsend: socket");
        return -1;
    }
    /* Without NODELAY a small write after an unacknowledged one would wait and be merged. */
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) != 0) {
        perror("splitsend: setsockopt");
        close(fd);
        return -1;
    }
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        fprintf(stderr, "splitsend: connect %s:%d: %s\n", o->server, o->port, strerror(errno));
        close(fd);
        return -1;
    }
    logmsg("connected to %s:%d", o->server, o->port);
    return fd;
}

/* One call, one write(): callers rely on this to decide segment boundaries. */
static int send_all(struct conn *c, const char *data, size_t len)
{
    size_t off = 0;

    while (off < len) {
        ssize_t n = send(c->fd, data + off, len - off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            fprintf(stderr, "splitsend: send: %s\n", n < 0 ? strerror(errno) : "short write");
            c->broken = 1;
            return -1;
        }
        off += (size_t)n;
    }
    return 0;
}

/* Logs each command line of a write separately, so pipelined groups stay readable. */
static void log_sent(const char *data, size_t len)
{
    size_t i = 0;

    while (i < len) {
        const char *nl = memchr(data + i, '\n', len - i);
        size_t n = nl != NULL ? (size_t)(nl - (data + i)) : len - i;
        size_t shown = n > 0 && data[i + n - 1] == '\r' ? n - 1 : n;
        logmsg("C: %.*s", (int)shown, data + i);
        i += nl != NULL ? n + 1 : n;
    }
}

static int send_cmd(struct conn *c, const char *cmd)
{
    log_sent(cmd, strlen(cmd));
    return send_all(c, cmd, strlen(cmd));
}

/* Reads one CR LF (or bare LF) terminated line into line[cap], without the line ending. */
static int read_line(struct conn *c, char *line, size_t cap)
{
    for (;;) {
        char *nl = memchr(c->buf, '\n', c->len);
        if (nl != NULL) {
            size_t n = (size_t)(nl - c->buf);
            size_t keep = n > 0 && c->buf[n - 1] == '\r' ? n - 1 : n;
            if (keep >= cap) {
                fputs("splitsend: reply line too long\n", stderr);
                return -1;
            }
            memcpy(line, c->buf, keep);
            line[keep] = '\0';
            c->len -= n + 1;
            memmove(c->buf, nl + 1, c->len);
            return 0;
        }
        if (c->len == sizeof c->buf) {
            fputs("splitsend: reply line too long\n", stderr);
            return -1;
        }
        ssize_t got = recv(c->fd, c->buf + c->len, sizeof c->buf - c->len, 0);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            fprintf(stderr, "splitsend: recv: %s\n",
                    errno == EAGAIN || errno == EWOULDBLOCK ? "timeout waiting for reply"
                                                            : strerror(errno));
            return -1;
        }
        if (got == 0) {
            fputs("splitsend: server closed the connection\n", stderr);
            return -1;
        }
        c->len += (size_t)got;
    }
}

/* A reply is complete at the line whose fourth character is a space (or that is just "NNN"). */
static int read_reply(struct conn *c, struct reply *r)
{
    char line[LINE_MAX_LEN];

    r->code = 0;
    r->text_len = 0;
    r->text[0] = '\0';
    for (;;) {
        if (read_line(c, line, sizeof line) != 0) {
            c->broken = 1;
            return -1;
        }
        logmsg("S: %s", line);
        size_t n = strlen(line);
        if (n < 3 || line[0] < '2' || line[0] > '5' || line[1] < '0' || line[1] > '9' ||
            line[2] < '0' || line[2] > '9' || (n > 3 && line[3] != ' ' && line[3] != '-')) {
            fprintf(stderr, "splitsend: malformed reply line '%s'\n", line);
            c->broken = 1;
            return -1;
        }
        int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
        if (r->code != 0 && code != r->code) {
            fprintf(stderr, "splitsend: reply code changed within a reply: '%s'\n", line);
            c->broken = 1;
            return -1;
        }
        r->code = code;
        if (r->text_len + n + 2 <= sizeof r->text) {
            memcpy(r->text + r->text_len, line, n);
            r->text_len += n;
            r->text[r->text_len++] = '\n';
            r->text[r->text_len] = '\0';
        }
        if (n == 3 || line[3] == ' ')
            return 0;
    }
}

/* Reads one reply and insists on its first digit, naming the step that went wrong. */
static int expect(struct conn *c, int first_digit, const char *step, struct reply *r)
{
    if (read_reply(c, r) != 0) {
        fprintf(stderr, "splitsend: no reply to %s\n", step);
        return -1;
    }
    if (r->code / 100 != first_digit) {
        fprintf(stderr, "splitsend: unexpected reply %d to %s (wanted %dxx)\n", r->code, step,
                first_digit);
        return -1;
    }
    return 0;
}

/* True if an EHLO reply advertises the keyword (each line is "250-KEYWORD params"). */
static int has_extension(const struct reply *r, const char *kw)
{
    size_t kwlen = strlen(kw);
    const char *p = r->text;

    while (*p != '\0') {
        const char *eol = strchr(p, '\n');
        if (eol == NULL)
            break;
        if ((size_t)(eol - p) >= 4 + kwlen && strncasecmp(p + 4, kw, kwlen) == 0 &&
            (p[4 + kwlen] == '\n' || p[4 + kwlen] == ' '))
            return 1;
        p = eol + 1;
    }
    return 0;
}

static int greet(struct conn *c, const struct options *o)
{
    char cmd[CMD_MAX_LEN];
    struct reply r;

    if (expect(c, 2, "connection (banner)", &r) != 0)
        return -1;
    snprintf(cmd, sizeof cmd, "%s %s\r\n", o->use_helo ? "HELO" : "EHLO", o->hello_name);
    if (send_cmd(c, cmd) != 0 || expect(c, 2, o->use_helo ? "HELO" : "EHLO", &r) != 0)
        return -1;
    if (o->pipelining && !has_extension(&r, "PIPELINING")) {
        fputs("splitsend: --pipelining asked but the server does not offer PIPELINING\n", stderr);
        return -1;
    }
    return 0;
}

/* Sends MAIL, RCPT and DATA either one by one or, pipelined, in a single write. */
static int envelope(struct conn *c, const struct options *o)
{
    char mail[CMD_MAX_LEN], rcpt[CMD_MAX_LEN], all[3 * CMD_MAX_LEN];
    static const char data_cmd[] = "DATA\r\n";
    struct reply r;

    snprintf(mail, sizeof mail, "MAIL FROM:<%s>\r\n", o->from);
    snprintf(rcpt, sizeof rcpt, "RCPT TO:<%s>\r\n", o->to);
    if (o->pipelining) {
        int n = snprintf(all, sizeof all, "%s%s%s", mail, rcpt, data_cmd);
        log_sent(all, (size_t)n);
        if (send_all(c, all, (size_t)n) != 0)
            return -1;
        return expect(c, 2, "MAIL", &r) != 0 || expect(c, 2, "RCPT", &r) != 0 ||
                       expect(c, 3, "DATA", &r) != 0
                   ? -1
                   : 0;
    }
    if (send_cmd(c, mail) != 0 || expect(c, 2, "MAIL", &r) != 0)
        return -1;
    if (send_cmd(c, rcpt) != 0 || expect(c, 2, "RCPT", &r) != 0)
        return -1;
    if (send_cmd(c, data_cmd) != 0 || expect(c, 3, "DATA", &r) != 0)
        return -1;
    return 0;
}

/* Headers and body, ending just before the terminator. The fixed body has no line starting
 * with '.', so no dot-stuffing is needed; its last line's CR LF is the terminator's first. */
static size_t build_message(char *buf, size_t cap, const struct options *o)
{
    char date[64], msgid[300];
    time_t now = time(NULL);
    struct tm tm;
    int n;

    localtime_r(&now, &tm);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S %z", &tm);
    if (o->message_id != NULL)
        snprintf(msgid, sizeof msgid, "%s", o->message_id);
    else
        snprintf(msgid, sizeof msgid, "splitsend.%ld.%ld@%s", (long)getpid(), (long)now,
                 o->hello_name);
    n = snprintf(buf, cap,
                 "From: <%s>\r\n"
                 "To: <%s>\r\n"
                 "Subject: splitsend test, terminator cut %d\r\n"
                 "Date: %s\r\n"
                 "Message-ID: <%s>\r\n"
                 "\r\n"
                 "This message was sent by splitsend for smtpscope's real captures.\r\n"
                 "The end-of-data terminator follows this line.",
                 o->from, o->to, o->cut, date, msgid);
    return n < 0 || (size_t)n >= cap ? 0 : (size_t)n;
}

/* Sends the message, cutting the terminator as asked, and reads the end-of-data reply. */
static int send_message(struct conn *c, const struct options *o)
{
    char buf[MESSAGE_MAX_LEN];
    size_t len = build_message(buf, sizeof buf - TERMINATOR_LEN, o);
    size_t first = o->cut == 0 ? TERMINATOR_LEN : (size_t)o->cut;
    struct reply r;

    if (len == 0) {
        fputs("splitsend: message too long\n", stderr);
        return -1;
    }
    if (o->abort_after_data)
        first = (size_t)o->cut;
    memcpy(buf + len, TERMINATOR, first);
    logmsg("C: <message, %zu bytes, ending with %zu of 5 terminator bytes>", len + first, first);
    if (send_all(c, buf, len + first) != 0)
        return -1;
    if (o->abort_after_data)
        return 0;
    if (first < TERMINATOR_LEN) {
        /* The pause lets the first segment leave (and be acknowledged) on its own. */
        sleep_ms(o->cut_delay_ms);
        logmsg("C: <rest of terminator, %zu bytes>", (size_t)TERMINATOR_LEN - first);
        if (send_all(c, TERMINATOR + first, TERMINATOR_LEN - first) != 0)
            return -1;
    }
    return expect(c, 2, "end-of-data", &r);
}

/* Ends the session: QUIT and FIN, FIN alone, or RST via a zero linger timeout. */
static int finish(struct conn *c, const struct options *o, int say_quit)
{
    struct reply r;
    int rc = 0;

    if (say_quit)
        rc = send_cmd(c, "QUIT\r\n") != 0 || expect(c, 2, "QUIT", &r) != 0 ? -1 : 0;
    if (o->rst) {
        struct linger lg = {.l_onoff = 1, .l_linger = 0};
        if (setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg) != 0) {
            perror("splitsend: SO_LINGER");
            rc = -1;
        }
        logmsg("closing with RST");
    } else {
        logmsg("closing with FIN");
    }
    if (close(c->fd) != 0) {
        perror("splitsend: close");
        rc = -1;
    }
    c->fd = -1;
    return rc;
}

int main(int argc, char **argv)
{
    static struct conn c;
    struct options o;
    int ok;

    clock_gettime(CLOCK_MONOTONIC, &start_time);
    parse_options(argc, argv, &o);
    c.fd = connect_server(&o);
    if (c.fd < 0)
        return 1;
    ok = greet(&c, &o) == 0 && envelope(&c, &o) == 0 && send_message(&c, &o) == 0;
    /* A refused command still leaves a working session, so a polite client says QUIT; after a
     * network or protocol error it just closes, the way that was asked. */
    if (finish(&c, &o, !c.broken && !o.no_quit && !o.abort_after_data) != 0)
        ok = 0;
    return ok ? 0 : 1;
}
