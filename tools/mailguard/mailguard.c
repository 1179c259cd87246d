/*
 * mailguard — a TCP relay for smtpscope's lab that inspects SMTP the way Cisco PIX "Mailguard"
 * (`fixup protocol smtp`) and ASA `inspect esmtp` are publicly documented to, with each
 * behaviour switched on by its own option:
 *
 *   --mask-banner     the server's 220 greeting: every byte but '2', '0', blank, CR and LF
 *                     becomes '*' (PIX 5.1+); the length is kept, as the firewall does.
 *   --refuse-esmtp    only RFC 821's minimal commands pass (HELO MAIL RCPT DATA RSET NOOP
 *                     QUIT); any other command (EHLO, STARTTLS, BDAT, AUTH...) is answered by the
 *                     relay itself with 500 and never reaches the server.
 *   --rewrite-esmtp   ASA `inspect esmtp`: a command outside that minimal set is not answered
 *                     by the relay but passed on with its verb overwritten by as many 'X' as it
 *                     has letters ("EHLO mta.example" becomes "XXXX mta.example"), so the
 *                     server itself refuses it. Cannot be combined with --refuse-esmtp.
 *   --drop-split-eod  when the end-of-data sequence CR LF . CR LF arrives cut across the
 *                     client's segments, the bytes of it in the later segment are not forwarded
 *                     (Cisco bug CSCds90792): the server never sees end of data and stays silent.
 *   --reset-split-eod on that same split terminator, the bytes of it in the later segment are
 *                     not forwarded and both connections are reset at once (SO_LINGER 0, close):
 *                     each endpoint gets a RST its peer never sent. Cannot be combined with
 *                     --drop-split-eod.
 *
 * With none of them it is a plain relay that still follows the SMTP dialogue (and logs it).
 *
 * Segments: a relay cannot see the client's TCP segments, only what each read() returns. Both
 * sockets use TCP_NODELAY, every client read is forwarded with one write, and a client that
 * pauses between writes (splitsend's --cut-delay, Postfix's smtp_pix_workaround_delay_time)
 * arrives in separate reads. Two segments that arrive before the relay reads look like one, so
 * a split sent without a pause may pass; the lab's clients always pause.
 *
 * One process per connection (fork); a child dies with the parent (PR_SET_PDEATHSIG), and an
 * idle session is closed after --idle-timeout, so nothing outlives the lab.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* A read larger than any segment (MSS <= 64 KiB with GRO off is ~1.4 KiB) never cuts one. */
#define READ_BUF 16384
/* RFC 5321 allows 512 octets per command; AUTH lines may be longer, so leave room. */
#define LINE_MAX_LEN 4096
/* Commands whose replies are outstanding; pipelined groups are far smaller. */
#define PENDING_MAX 256
/* Output of one event: a forwarded read plus relay replies, each under 64 bytes. */
#define OUT_BUF (READ_BUF + LINE_MAX_LEN + PENDING_MAX * 64)
#define TERM "\r\n.\r\n"
#define TERM_LEN 5

static const char REFUSAL[] = "500 5.5.1 Command unrecognized: \"XXXX\"\r\n";

struct options {
    struct sockaddr_in listen_addr;
    struct sockaddr_in server_addr;
    int mask_banner;
    int refuse_esmtp;
    int rewrite_esmtp;
    int drop_split_eod;
    int reset_split_eod;
    int idle_timeout_s;
};

/* Who answers a command, and what its reply changes in the relay's view of the dialogue. */
enum kind { K_BANNER, K_DATA, K_STARTTLS, K_OTHER, K_REFUSED };

/* How the relay reads the client's bytes. */
enum cmode { C_CMD, C_AWAIT_354, C_DATA, C_BDAT, C_OPAQUE };

struct buf {
    char data[OUT_BUF];
    size_t len;
};

struct session {
    int id;
    int cfd, sfd;
    const struct options *opt;
    enum cmode cmode;
    unsigned long reads; /* client reads so far: the relay's notion of a client segment */
    char line[LINE_MAX_LEN];
    size_t line_len;
    unsigned long long bdat_left;
    /* The last bytes of message data and the client read each came from (0: before data). */
    char win[TERM_LEN];
    unsigned long win_read[TERM_LEN];
    size_t win_len;
    /* Client bytes that followed DATA in the same read, held until the server's reply. */
    char held[READ_BUF];
    size_t held_len;
    unsigned long held_read;
    enum kind pending[PENDING_MAX];
    size_t p_head, p_count;
    /* Server reply line being parsed. */
    size_t r_pos;
    char r_code[3];
    char r_sep;
    int c_eof, s_eof, c_dead;
    int reset_both; /* a split terminator under --reset-split-eod: abort both connections */
    struct buf to_server, to_client;
};

static void logmsg(const struct session *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* One write() per line, so the lines of concurrent sessions never interleave. */
static void logmsg(const struct session *s, const char *fmt, ...)
{
    char line[512];
    struct timespec ts;
    struct tm tm;
    va_list ap;
    int n;

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    n = snprintf(line, sizeof line, "%02d:%02d:%02d.%03ld mailguard[%d] session %d: ", tm.tm_hour,
                 tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000L, (int)getpid(), s ? s->id : 0);
    va_start(ap, fmt);
    n += vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof line - 2)
        n = (int)sizeof line - 2;
    line[n++] = '\n';
    if (write(STDERR_FILENO, line, (size_t)n) < 0)
        return;
}

static void usage(FILE *out)
{
    fputs("usage: mailguard --listen ADDR:PORT --connect ADDR:PORT [options]\n"
          "An SMTP relay that behaves like Cisco PIX Mailguard / ASA ESMTP inspection.\n"
          "\n"
          "  --listen ADDR:PORT   where clients connect (IPv4)\n"
          "  --connect ADDR:PORT  the SMTP server behind the relay (IPv4)\n"
          "  --mask-banner        mask the 220 greeting with '*' except '2', '0' and blanks\n"
          "  --refuse-esmtp       answer commands other than HELO MAIL RCPT DATA RSET NOOP\n"
          "                       QUIT (EHLO too) with 500 5.5.1, never passing them on\n"
          "  --rewrite-esmtp      pass those commands on with their verb overwritten by 'X'\n"
          "                       (EHLO -> XXXX), so the server refuses them (ASA style);\n"
          "                       not with --refuse-esmtp\n"
          "  --drop-split-eod     do not forward CR LF . CR LF cut across client segments\n"
          "  --reset-split-eod    on such a cut terminator, reset both connections instead;\n"
          "                       not with --drop-split-eod\n"
          "  --idle-timeout S     close a session silent for S seconds (default 300)\n"
          "  --help               show this help\n"
          "\n"
          "Events are logged to stderr, one line each.\n",
          out);
}

static int parse_addr(const char *arg, struct sockaddr_in *sa)
{
    char host[64];
    const char *colon = strrchr(arg, ':');
    char *end;
    long port;

    if (colon == NULL || (size_t)(colon - arg) >= sizeof host)
        return -1;
    memcpy(host, arg, (size_t)(colon - arg));
    host[colon - arg] = '\0';
    port = strtol(colon + 1, &end, 10);
    if (*end != '\0' || port < 1 || port > 65535)
        return -1;
    *sa = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
    return inet_pton(AF_INET, host, &sa->sin_addr) == 1 ? 0 : -1;
}

/* Each pair answers the same event in two contradictory ways. */
static void check_exclusive(const struct options *o)
{
    const char *clash = o->refuse_esmtp && o->rewrite_esmtp ? "--refuse-esmtp and --rewrite-esmtp"
                        : o->drop_split_eod && o->reset_split_eod
                            ? "--drop-split-eod and --reset-split-eod"
                            : NULL;

    if (clash != NULL) {
        fprintf(stderr, "mailguard: %s cannot be combined\n", clash);
        exit(2);
    }
}

static void parse_options(int argc, char **argv, struct options *o)
{
    enum {
        O_LISTEN = 256,
        O_CONNECT,
        O_MASK,
        O_REFUSE,
        O_REWRITE,
        O_DROP,
        O_RESET,
        O_IDLE,
        O_HELP
    };
    static const struct option longopts[] = {
        {"listen", required_argument, NULL, O_LISTEN},
        {"connect", required_argument, NULL, O_CONNECT},
        {"mask-banner", no_argument, NULL, O_MASK},
        {"refuse-esmtp", no_argument, NULL, O_REFUSE},
        {"rewrite-esmtp", no_argument, NULL, O_REWRITE},
        {"drop-split-eod", no_argument, NULL, O_DROP},
        {"reset-split-eod", no_argument, NULL, O_RESET},
        {"idle-timeout", required_argument, NULL, O_IDLE},
        {"help", no_argument, NULL, O_HELP},
        {NULL, 0, NULL, 0},
    };
    int c, have_listen = 0, have_connect = 0;

    *o = (struct options){.idle_timeout_s = 300};
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (c == O_LISTEN)
            have_listen = parse_addr(optarg, &o->listen_addr) == 0;
        else if (c == O_CONNECT)
            have_connect = parse_addr(optarg, &o->server_addr) == 0;
        else if (c == O_MASK)
            o->mask_banner = 1;
        else if (c == O_REFUSE)
            o->refuse_esmtp = 1;
        else if (c == O_REWRITE)
            o->rewrite_esmtp = 1;
        else if (c == O_DROP)
            o->drop_split_eod = 1;
        else if (c == O_RESET)
            o->reset_split_eod = 1;
        else if (c == O_IDLE)
            o->idle_timeout_s = atoi(optarg);
        else if (c == O_HELP) {
            usage(stdout);
            exit(0);
        } else {
            usage(stderr);
            exit(2);
        }
    }
    if (optind != argc || !have_listen || !have_connect || o->idle_timeout_s < 1 ||
        o->idle_timeout_s > 86400) {
        usage(stderr);
        exit(2);
    }
    check_exclusive(o);
}

static void put(struct buf *b, const char *data, size_t len)
{
    /* OUT_BUF covers the worst case of one event; clipping would only shorten a relay reply. */
    if (len > sizeof b->data - b->len)
        len = sizeof b->data - b->len;
    memcpy(b->data + b->len, data, len);
    b->len += len;
}

static int push_pending(struct session *s, enum kind k)
{
    if (s->p_count == PENDING_MAX) {
        logmsg(s, "more than %d commands awaiting replies, giving up", PENDING_MAX);
        return -1;
    }
    s->pending[(s->p_head + s->p_count++) % PENDING_MAX] = k;
    return 0;
}

/* Relay replies are due once every earlier command has had the server's reply. */
static void emit_relay_replies(struct session *s)
{
    while (s->p_count > 0 && s->pending[s->p_head] == K_REFUSED) {
        put(&s->to_client, REFUSAL, sizeof REFUSAL - 1);
        s->p_head = (s->p_head + 1) % PENDING_MAX;
        s->p_count--;
    }
}

static int is_minimal_verb(const char *line, size_t len)
{
    static const char *const verbs[] = {"HELO", "MAIL", "RCPT", "DATA", "RSET", "NOOP", "QUIT"};
    size_t i;

    for (i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
        if (len >= 4 && strncasecmp(line, verbs[i], 4) == 0 &&
            (len == 4 || line[4] == ' ' || line[4] == '\r' || line[4] == '\n'))
            return 1;
    return 0;
}

static int verb_is(const char *line, size_t len, const char *verb)
{
    size_t n = strlen(verb);
    return len >= n && strncasecmp(line, verb, n) == 0 &&
           (len == n || line[n] == ' ' || line[n] == '\r' || line[n] == '\n');
}

/* "BDAT <size> [LAST]": the next <size> bytes are data, not commands (RFC 3030). */
static unsigned long long bdat_size(const char *line)
{
    return strtoull(line + 5, NULL, 10);
}

static void start_data(struct session *s)
{
    /* The DATA line's CR LF counts as the terminator's first two bytes for an empty body. */
    memcpy(s->win, "\r\n", 2);
    s->win_read[0] = s->win_read[1] = 0;
    s->win_len = 2;
    s->cmode = C_DATA;
}

/* The line without its CR LF (or LF), for the log. */
static int shown_len(const char *line, size_t len)
{
    int n = (int)(len >= 2 && line[len - 2] == '\r' ? len - 2 : len - 1);
    return n > 80 ? 80 : n;
}

/* ASA style: the verb is blotted out in place, so the server (not the relay) refuses it and the
 * line keeps its length. The changed line goes into the relay's own buffer, not the client's. */
static void put_rewritten(struct session *s, const char *line, size_t len)
{
    size_t start = s->to_server.len, i;

    put(&s->to_server, line, len);
    for (i = start; i < s->to_server.len; i++) {
        char c = s->to_server.data[i];
        if (c == ' ' || c == '\r' || c == '\n')
            break;
        s->to_server.data[i] = 'X';
    }
    logmsg(s, "rewrote \"%.*s\" as \"%.*s\"", shown_len(line, len), line, shown_len(line, len),
           s->to_server.data + start);
}

/* A complete command line from the client: forward it (maybe rewritten), or answer it ourselves. */
static int command_line(struct session *s, const char *line, size_t len)
{
    if (s->opt->refuse_esmtp && !is_minimal_verb(line, len)) {
        logmsg(s, "refused \"%.*s\" with 500 (not passed on)", shown_len(line, len), line);
        if (push_pending(s, K_REFUSED) != 0)
            return -1;
        emit_relay_replies(s);
        return 0;
    }
    if (s->opt->rewrite_esmtp && !is_minimal_verb(line, len)) {
        /* XXXX is no DATA, BDAT or STARTTLS: the server's reply to it changes nothing here. */
        put_rewritten(s, line, len);
        return push_pending(s, K_OTHER);
    }
    put(&s->to_server, line, len);
    if (verb_is(line, len, "DATA")) {
        s->cmode = C_AWAIT_354;
        return push_pending(s, K_DATA);
    }
    if (verb_is(line, len, "BDAT")) {
        s->bdat_left = bdat_size(line);
        s->cmode = s->bdat_left > 0 ? C_BDAT : C_CMD;
        logmsg(s, "BDAT chunk of %llu bytes (passed as data, not scanned)", s->bdat_left);
    }
    return push_pending(s, verb_is(line, len, "STARTTLS") ? K_STARTTLS : K_OTHER);
}

/* Command bytes: collected into lines; returns how many bytes were consumed. */
static long command_bytes(struct session *s, const char *p, size_t n)
{
    size_t i;

    for (i = 0; i < n && s->cmode == C_CMD; i++) {
        if (s->line_len == sizeof s->line) {
            logmsg(s, "command line longer than %d bytes, closing", LINE_MAX_LEN);
            return -1;
        }
        s->line[s->line_len++] = p[i];
        if (p[i] == '\n') {
            size_t len = s->line_len;
            s->line_len = 0;
            if (command_line(s, s->line, len) != 0)
                return -1;
        }
    }
    return (long)i;
}

static const char *cut_name(size_t before)
{
    static const char *const names[] = {"", "CR|LF.CRLF", "CRLF|.CRLF", "CRLF.|CRLF", "CRLF.CR|LF"};
    return before >= 1 && before <= 4 ? names[before] : "?";
}

/* The window holds CR LF . CR LF: forward it (whole or split) or swallow it (split, dropping). */
static int end_of_data(struct session *s, unsigned long read_no)
{
    size_t i, in_this_read = 0;

    for (i = 0; i < TERM_LEN; i++)
        if (s->win_read[i] == read_no || s->win_read[i] == 0)
            in_this_read++;
    if (in_this_read == TERM_LEN) {
        logmsg(s, "end of data in one segment (read %lu): passed on", read_no);
        s->cmode = C_CMD;
        return push_pending(s, K_OTHER);
    }
    for (i = 0; i < TERM_LEN && s->win_read[i] != read_no; i++)
        ;
    if (!s->opt->drop_split_eod && !s->opt->reset_split_eod) {
        logmsg(s, "end of data split %s (reads %lu and %lu): passed on", cut_name(i),
               s->win_read[0], read_no);
        s->cmode = C_CMD;
        return push_pending(s, K_OTHER);
    }
    /* Mailguard's bug: the part in this segment is never sent; the server keeps waiting. */
    s->to_server.len -= TERM_LEN - i;
    s->win_len = i;
    if (s->opt->reset_split_eod) {
        /* The session is aborted here; on_client resets both sides. */
        logmsg(s,
               "end of data split %s (reads %lu and %lu): reset both connections (last %zu "
               "bytes not passed on)",
               cut_name(i), s->win_read[0], read_no, (size_t)TERM_LEN - i);
        s->reset_both = 1;
        return -1;
    }
    logmsg(s, "end of data split %s (reads %lu and %lu): dropped the last %zu bytes", cut_name(i),
           s->win_read[0], read_no, (size_t)TERM_LEN - i);
    return 0;
}

/* Message bytes after 354: forwarded as they come, watching for CR LF . CR LF. */
static long data_bytes(struct session *s, const char *p, size_t n, unsigned long read_no)
{
    size_t i;

    for (i = 0; i < n && s->cmode == C_DATA; i++) {
        put(&s->to_server, p + i, 1);
        if (s->win_len == TERM_LEN) {
            memmove(s->win, s->win + 1, TERM_LEN - 1);
            memmove(s->win_read, s->win_read + 1, (TERM_LEN - 1) * sizeof s->win_read[0]);
            s->win_len--;
        }
        s->win[s->win_len] = p[i];
        s->win_read[s->win_len++] = read_no;
        if (s->win_len == TERM_LEN && memcmp(s->win, TERM, TERM_LEN) == 0 &&
            end_of_data(s, read_no) != 0)
            return -1;
    }
    return (long)i;
}

static long bdat_bytes(struct session *s, const char *p, size_t n)
{
    size_t take = n < s->bdat_left ? n : (size_t)s->bdat_left;

    put(&s->to_server, p, take);
    s->bdat_left -= take;
    if (s->bdat_left == 0)
        s->cmode = C_CMD;
    return (long)take;
}

/* Bytes after DATA wait for its reply (they are body only if the server says 354). */
static long hold_bytes(struct session *s, const char *p, size_t n, unsigned long read_no)
{
    if (n > sizeof s->held - s->held_len)
        n = sizeof s->held - s->held_len;
    memcpy(s->held + s->held_len, p, n);
    s->held_len += n;
    s->held_read = read_no;
    return (long)n;
}

/* Everything the client sent in one read (or the held rest of one), mode by mode. */
static int client_bytes(struct session *s, const char *p, size_t n, unsigned long read_no)
{
    while (n > 0) {
        long used;
        if (s->cmode == C_OPAQUE) {
            put(&s->to_server, p, n);
            return 0;
        }
        if (s->cmode == C_CMD)
            used = command_bytes(s, p, n);
        else if (s->cmode == C_DATA)
            used = data_bytes(s, p, n, read_no);
        else if (s->cmode == C_BDAT)
            used = bdat_bytes(s, p, n);
        else
            used = hold_bytes(s, p, n, read_no);
        if (used < 0)
            return -1;
        p += used;
        n -= (size_t)used;
    }
    return 0;
}

/* The server finished a reply: what it answered may change how client bytes are read. */
static int reply_done(struct session *s)
{
    enum kind k;
    int code = (s->r_code[0] - '0') * 100 + (s->r_code[1] - '0') * 10 + (s->r_code[2] - '0');

    if (s->p_count == 0)
        return 0;
    k = s->pending[s->p_head];
    s->p_head = (s->p_head + 1) % PENDING_MAX;
    s->p_count--;
    emit_relay_replies(s);
    if (k == K_STARTTLS && code == 220) {
        logmsg(s, "STARTTLS accepted: passing the rest through uninspected");
        s->cmode = C_OPAQUE;
    }
    if (k != K_DATA)
        return 0;
    if (code == 354)
        start_data(s);
    else
        s->cmode = C_CMD;
    if (s->held_len > 0) {
        size_t n = s->held_len;
        s->held_len = 0;
        return client_bytes(s, s->held, n, s->held_read);
    }
    return 0;
}

static int masking_banner(const struct session *s)
{
    return s->opt->mask_banner && s->p_count > 0 && s->pending[s->p_head] == K_BANNER &&
           s->r_pos >= 3 && memcmp(s->r_code, "220", 3) == 0;
}

/* One server byte: masked if it belongs to the greeting; a reply ends at "NNN " + LF. */
static int server_byte(struct session *s, char c)
{
    char out = c;

    if (masking_banner(s) && c != '2' && c != '0' && c != ' ' && c != '\r' && c != '\n')
        out = '*';
    put(&s->to_client, &out, 1);
    /* The reply is parsed as the server sent it, so a masked "220-" still continues. */
    if (s->r_pos < 3)
        s->r_code[s->r_pos] = c;
    else if (s->r_pos == 3)
        s->r_sep = c;
    s->r_pos++;
    if (c != '\n')
        return 0;
    if (s->r_pos < 5 || s->r_sep != '-') {
        if (s->p_count > 0 && s->pending[s->p_head] == K_BANNER && s->opt->mask_banner)
            logmsg(s, "greeting masked");
        s->r_pos = 0;
        return reply_done(s);
    }
    s->r_pos = 0;
    return 0;
}

static int server_bytes(struct session *s, const char *p, size_t n)
{
    size_t i;

    if (s->cmode == C_OPAQUE) {
        put(&s->to_client, p, n);
        return 0;
    }
    for (i = 0; i < n; i++)
        if (server_byte(s, p[i]) != 0)
            return -1;
    return 0;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static void reset(int fd)
{
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
}

/* Sends what one event produced: one write per direction keeps the client's segmentation. */
static int flush(struct session *s)
{
    int rc = 0;

    if (s->to_server.len > 0 && write_all(s->sfd, s->to_server.data, s->to_server.len) != 0) {
        logmsg(s, "server write failed: %s", strerror(errno));
        rc = -1;
    }
    if (s->to_client.len > 0 && !s->c_dead &&
        write_all(s->cfd, s->to_client.data, s->to_client.len) != 0) {
        logmsg(s, "client write failed: %s", strerror(errno));
        s->c_dead = 1;
    }
    s->to_server.len = s->to_client.len = 0;
    return rc;
}

/* Client readable: returns -1 when the session must end at once (with RST to the server). */
static int on_client(struct session *s)
{
    static char buf[READ_BUF];
    ssize_t n = recv(s->cfd, buf, sizeof buf, 0);

    if (n < 0 && errno == EINTR)
        return 0;
    if (n < 0) {
        logmsg(s, "client reset the connection (%s)", strerror(errno));
        reset(s->sfd);
        return -1;
    }
    if (n == 0) {
        logmsg(s, "client closed (FIN)%s", s->cmode == C_DATA ? " while in DATA" : "");
        s->c_eof = 1;
        shutdown(s->sfd, SHUT_WR);
        return 0;
    }
    s->reads++;
    if (client_bytes(s, buf, (size_t)n, s->reads) != 0) {
        /* A deliberate reset first passes on what came before the terminator's cut part. */
        if (s->reset_both)
            flush(s);
        reset(s->sfd);
        reset(s->cfd);
        return -1;
    }
    return flush(s);
}

/* Server readable. After the client is gone, the server's words are read and dropped. */
static int on_server(struct session *s)
{
    static char buf[READ_BUF];
    ssize_t n = recv(s->sfd, buf, sizeof buf, 0);

    if (n < 0 && errno == EINTR)
        return 0;
    if (n < 0) {
        logmsg(s, "server reset the connection (%s)", strerror(errno));
        reset(s->cfd);
        return -1;
    }
    if (n == 0) {
        logmsg(s, "server closed (FIN)");
        s->s_eof = 1;
        shutdown(s->cfd, SHUT_WR);
        return 0;
    }
    if (server_bytes(s, buf, (size_t)n) != 0) {
        reset(s->sfd);
        reset(s->cfd);
        return -1;
    }
    return flush(s);
}

/* Client events are not read while DATA awaits its reply: that keeps body bytes in order. */
static short client_events(const struct session *s)
{
    return (short)(s->c_eof || s->cmode == C_AWAIT_354 ? 0 : POLLIN);
}

static void relay(struct session *s)
{
    while (!(s->c_eof && s->s_eof)) {
        /* A side that is not read is left out: its HUP would otherwise wake poll forever. */
        struct pollfd pf[2] = {{.fd = client_events(s) ? s->cfd : -1, .events = POLLIN},
                               {.fd = s->s_eof ? -1 : s->sfd, .events = POLLIN}};
        int r = poll(pf, 2, s->opt->idle_timeout_s * 1000);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            logmsg(s, "idle for %d s, closing both sides", s->opt->idle_timeout_s);
            return;
        }
        if ((pf[1].revents & (POLLIN | POLLHUP | POLLERR)) && on_server(s) != 0)
            return;
        /* Reading the server may have stopped client reads (DATA awaiting its reply). */
        if ((pf[0].revents & (POLLIN | POLLHUP | POLLERR)) && client_events(s) && on_client(s) != 0)
            return;
    }
    logmsg(s, "closed");
}

static void set_socket_options(int fd, int timeout_s)
{
    struct timeval tv = {.tv_sec = timeout_s};
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

static const char *addr_str(const struct sockaddr_in *sa, char *out, size_t cap)
{
    char ip[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &sa->sin_addr, ip, sizeof ip);
    snprintf(out, cap, "%s:%u", ip, (unsigned)ntohs(sa->sin_port));
    return out;
}

static void run_session(int cfd, int id, const struct sockaddr_in *peer, const struct options *o)
{
    static struct session s;
    char a[32], b[32];

    s = (struct session){.id = id, .cfd = cfd, .opt = o, .cmode = C_CMD};
    s.pending[0] = K_BANNER;
    s.p_count = 1;
    set_socket_options(cfd, o->idle_timeout_s);
    s.sfd = socket(AF_INET, SOCK_STREAM, 0);
    if (s.sfd < 0)
        return;
    set_socket_options(s.sfd, o->idle_timeout_s);
    if (connect(s.sfd, (const struct sockaddr *)&o->server_addr, sizeof o->server_addr) != 0) {
        logmsg(&s, "connect to %s failed: %s", addr_str(&o->server_addr, a, sizeof a),
               strerror(errno));
        return;
    }
    logmsg(&s, "%s -> %s opened", addr_str(peer, a, sizeof a),
           addr_str(&o->server_addr, b, sizeof b));
    relay(&s);
    close(s.sfd);
}

static int listen_on(const struct options *o)
{
    int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);

    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(fd, (const struct sockaddr *)&o->listen_addr, sizeof o->listen_addr) != 0 ||
        listen(fd, 16) != 0) {
        perror("mailguard: listen");
        exit(1);
    }
    return fd;
}

static const char *onoff(int on)
{
    return on ? "on" : "off";
}

int main(int argc, char **argv)
{
    struct options o;
    int lfd, id = 0;
    char a[32];

    parse_options(argc, argv, &o);
    signal(SIGCHLD, SIG_IGN); /* children are reaped by the kernel */
    lfd = listen_on(&o);
    logmsg(NULL,
           "listening on %s (mask-banner %s, refuse-esmtp %s, rewrite-esmtp %s, drop-split-eod "
           "%s, reset-split-eod %s)",
           addr_str(&o.listen_addr, a, sizeof a), onoff(o.mask_banner), onoff(o.refuse_esmtp),
           onoff(o.rewrite_esmtp), onoff(o.drop_split_eod), onoff(o.reset_split_eod));
    for (;;) {
        struct sockaddr_in peer;
        socklen_t len = sizeof peer;
        int cfd = accept(lfd, (struct sockaddr *)&peer, &len);
        if (cfd < 0)
            continue;
        id++;
        if (fork() == 0) {
            prctl(PR_SET_PDEATHSIG, SIGTERM);
            close(lfd);
            run_session(cfd, id, &peer, &o);
            close(cfd);
            _exit(0);
        }
        close(cfd);
    }
}
