/* options: see options.h. */
#include "cli/options.h"

#include <errno.h>
#include <getopt.h>
#include <glob.h>
#include <limits.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/workers.h"
#include "decompress/decompress.h"
#include "html/html.h"
#include "reassembly/reasm.h"
#include "report/report.h"
#include "sniff/rotate.h"
#include "sniff/sniff.h"

#ifndef SMTPSCOPE_VERSION
#define SMTPSCOPE_VERSION "0.0.0"
#endif

static const char usage_text[] =
    "Usage: smtpscope -r FILE [options] [BPF expression]\n"
    "       smtpscope -i IFACE [options] [BPF expression]\n"
    "       smtpscope --outside FILE --inside FILE [options] [BPF expression]\n"
    "       smtpscope --merge FILE... [options]\n"
    "Finds why SMTP mail is lost, stalled or delivered twice, from a packet capture.\n"
    "\n"
    "  -r FILE              read packets from FILE (pcap or pcapng, also compressed with\n"
    "                       gzip, zstd, xz or bzip2; - for stdin). Given again (-r A -r B)\n"
    "                       or as a quoted glob ('smtp-*.pcap'), the files are one capture\n"
    "                       in time order (merged where they overlap, as mergecap); their\n"
    "                       link types may differ; frames are then named FILE#N\n"
    "  -i IFACE             capture live on IFACE (needs root or cap_net_raw); on a\n"
    "                       terminal this opens the live screen, else the report streams\n"
    "                       as sessions end; Ctrl-C ends with the summary\n"
    "  -D                   list the interfaces to capture on\n"
    "  -w FILE              also write the packets read to FILE (pcap); the report's frame\n"
    "                       numbers are this file's, counted on across files with -G or -C\n"
    "                       (a symbolic link is refused)\n"
    "  -G SECS              with -w: a new file every SECS, FILE passed through strftime\n"
    "                       (e.g. -w smtp-%%Y%%m%%d-%%H%%M.pcap), as tcpdump -G\n"
    "  -C SIZE              with -w: a new file, FILE1, FILE2..., once the current one is\n"
    "                       over SIZE millions of bytes (k, m, g: KiB, MiB, GiB), as tcpdump\n"
    "  -W N                 with -C: a ring of N files (FILE0..); with -G alone: end the\n"
    "                       capture after N files. The report says where each file begins;\n"
    "                       after -Z the user creates the next files\n"
    "  -Z USER              after opening the capture, run as USER (default as root: user\n"
    "                       smtpscope, else nobody; -Z root keeps root)\n"
    "  -B KIB               kernel capture buffer in KiB (default 32768)\n"
    "  -s SNAPLEN           bytes kept of each packet (default 262144)\n"
    "  -p                   do not put the interface in promiscuous mode\n"
    "      --tui            the live screen (also over a file with -r)\n"
    "      --no-tui         no live screen: the report, as sessions end\n"
    "      --speed X        with --tui -r: replay at X times capture speed (default: at once)\n"
    "  -c COUNT             stop after COUNT packets that match the filter\n"
    "      --stats SECS     every SECS a stats line (packets, drops, sessions open and\n"
    "                       ended, flags, duplicate groups, memory, the interface's state)\n"
    "                       in the report (--json: {\"type\":\"stats\"}), and one at the end;\n"
    "                       live on the clock, with -r on the packets' timestamps\n"
    "      --metrics FILE   rewrite FILE (atomically: FILE.tmp, then a rename) every stats\n"
    "                       period (default 60 s) and at the end, in Prometheus' text format\n"
    "                       for node_exporter's textfile collector; written after root is\n"
    "                       given up (-Z): that user must be able to write its directory\n"
    "      --extract FILE   write the packets of the flagged sessions (or of --session) to\n"
    "                       FILE (pcap), and where each one's frames went; reads the -r\n"
    "                       file (live: the -w file) again at the end\n"
    "      --session LIST   with --extract: these sessions, as the report numbers them\n"
    "                       (4, 1,3 or 2-9)\n"
    "      --html FILE      also write the report as one HTML page to FILE (beside the\n"
    "                       text or JSON): the verdict, a timeline per duplicate group, a\n"
    "                       ladder diagram per flagged session; written at the end, live\n"
    "                       with --stats also each period (a symbolic link is refused)\n"
    "      --html-sessions N  flagged sessions drawn on that page (default 200, at most\n"
    "                       2000; the next ones a line each)\n"
    "      --sensor NAME    tag every JSON object with \"sensor\":\"NAME\" (this capture point,\n"
    "                       for a log pipeline that gathers several); with --json also\n"
    "                       write the run's records (\"type\":\"record\") for --merge\n"
    "      --partition K/N  follow only the flows whose address pair hashes to part K of N\n"
    "                       (1 <= K <= N): N runs, on N machines, share one capture; one\n"
    "                       process each; --merge of the N is the report of one run\n"
    "      --merge FILE...  report the JSON Lines of --sensor --json runs as one run: the\n"
    "                       duplicate groups, loops, servers across all of them. Partitions\n"
    "                       of one capture give one run's report, byte for byte; different\n"
    "                       captures are merged by time; one input (- for standard input)\n"
    "                       is taken as read, several sensors' lines mixed. Same version\n"
    "                       only; globs as -r; no capture options\n"
    "      --outside FILE   the capture outside a box in the mail path (sender and box), and\n"
    "      --inside FILE    the one inside it (box and server); each repeatable, globs as -r.\n"
    "                       Each side is reported (JSON: \"vantage\"), then their sessions\n"
    "                       are paired (Message-ID, digest, envelope, time, server) and what\n"
    "                       the box changed is said: middlebox_dropped_eod, _reset,\n"
    "                       _answered, _rewrote_command, _masked_banner, _delay\n"
    "%s" /* each analyser's ports option */
    "      --detect         also find SMTP and POP3 on any other port, by content (a 220\n"
    "                       greeting, then EHLO, HELO or QUIT; a +OK greeting, then USER,\n"
    "                       APOP, CAPA, AUTH or STLS)\n"
    "      --json           JSON Lines: one object per session and per failed connection\n"
    "                       attempt, then one per server, duplicate group, loop, relay\n"
    "                       path and fan-out, and a summary object\n"
    "  -v, --verbose        text report: also the sessions without findings (their header\n"
    "                       and wireshark: line)\n"
    "      --stream         write each duplicate group as it changes (\"final\":false), as a\n"
    "                       live capture does, not only at the end\n"
    "      --dup-window DURATION  correlate messages over this much capture time (default\n"
    "                       5d; s, m, h, d suffixes; 0: no limit); older ones are let go\n"
    "      --dup-memory MIB memory for correlating messages in MiB (default 64; 0: no limit);\n"
    "                       past it the oldest go (SMTP's and POP3's correlation each)\n"
    "      --verify-checksums  drop packets with wrong TCP checksums (default: accept them,\n"
    "                       as captures taken on the sending host carry offloaded ones)\n"
    "      --idle-timeout SECS  end a silent session after SECS (default 900)\n"
    "      --max-streams N  concurrent TCP streams followed (default 65536)\n"
    "      --workers N      analyse with N processes, flows split by address pair (default:\n"
    "                       one per core; one with the live screen, -w, a pipe, -c live,\n"
    "                       --stats, --metrics, several -r files, and for a compressed\n"
    "                       file, which N would each decompress); the report is the same\n"
    "                       as with one\n"
    "      --slow-reply SECS  flag replies to end of data slower than SECS (default 60)\n"
    "      --slow-banner SECS  flag greetings later than SECS after the handshake\n"
    "                       (default 30)\n"
    "  -h, --help           this help\n"
    "      --version        version\n"
    "\n"
    "The BPF expression (as in tcpdump) replaces the default filter, which keeps TCP on\n"
    "the SMTP and POP3 ports (any port with --detect) and IP fragments, over IPv4 and IPv6, with\n"
    "or without VLAN tags. Exit status: 0 analysed (or stopped by Ctrl-C), 2 usage or input error\n"
    "(a damaged capture is analysed up to the damage, then exits 2).\n"
    "Flags: split_eod_unacked, missing_quit, masked_banner; POP3: pop3_dele_uncommitted,\n"
    "pop3_retr_cut, pop3_quit_failed, pop3_mailbox_locked (see smtpscope(1)).\n";

void cli_fail(const char *fmt, const char *arg)
{
    fprintf(stderr, "smtpscope: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n");
}

/* "25,587,2525" into a bitmap of server ports. */
static int parse_ports(uint8_t *ports, const char *list)
{
    memset(ports, 0, PIPELINE_PORT_BYTES);
    const char *p = list;
    while (*p) {
        char *end;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (end == p || errno || v < 1 || v > 65535 || (*end && *end != ','))
            return -1;
        ports[v / 8] |= (uint8_t)(1u << (v % 8));
        p = *end ? end + 1 : end;
    }
    return p == list ? -1 : 0;
}

/* The capture filter keeps what any analyser follows. */
static void join_ports(options *o)
{
    for (unsigned i = 0; i < PIPELINE_PORT_BYTES; i++) {
        o->all_ports[i] = 0;
        for (unsigned p = 0; p < PROTO_COUNT; p++)
            o->all_ports[i] |= o->ports[p][i] | o->tls_ports[p][i];
    }
}

/* The help, with a line for each analyser's ports option. */
static char *usage_line(char *at, const char *end, const char *option, const char *what,
                        const char *defaults)
{
    char flag[64];
    snprintf(flag, sizeof flag, "--%s LIST", option);
    /* the text column of the help; a longer option takes two spaces instead */
    return at + snprintf(at, (size_t)(end - at), "      %-*s%s, comma-separated (default %s)\n",
                         strlen(flag) < 16 ? 17 : (int)strlen(flag) + 2, flag, what, defaults);
}

static void usage(FILE *out)
{
    char lines[PROTO_COUNT * 320] = "", *at = lines, what[96];
    for (unsigned p = 0; p < PROTO_COUNT; p++) {
        const analyser *an = pipeline_analyser((proto_id)p);
        snprintf(what, sizeof what, "%s server ports", an->title);
        at = usage_line(at, lines + sizeof lines, an->ports_option, what, an->default_ports);
        if (!an->tls_ports_option)
            continue;
        snprintf(what, sizeof what, "%s over TLS from the first byte: counted", an->title);
        at =
            usage_line(at, lines + sizeof lines, an->tls_ports_option, what, an->default_tls_ports);
    }
    fprintf(out, usage_text, lines);
}

static char *join_args(int argc, char **argv)
{
    size_t len = 1;
    for (int i = 0; i < argc; i++)
        len += strlen(argv[i]) + 1;
    char *s = calloc(1, len);
    if (!s)
        return NULL;
    for (int i = 0; i < argc; i++) {
        if (i)
            strcat(s, " ");
        strcat(s, argv[i]);
    }
    return s;
}

/* One "N" or "N-M" of a --session list; the text after it in *end. */
static int parse_session_range(const char *p, char **end, struct session_range *r)
{
    errno = 0;
    if (*p < '0' || *p > '9')
        return -1;
    r->lo = r->hi = strtoull(p, end, 10);
    if (**end == '-') {
        p = *end + 1;
        if (*p < '0' || *p > '9')
            return -1;
        r->hi = strtoull(p, end, 10);
    }
    return errno || r->lo == 0 || r->hi < r->lo ? -1 : 0;
}

/* "4", "1,3", "2-9,12" into o->sessions. */
static int parse_sessions(options *o, const char *list)
{
    const char *p = list;
    while (*p) {
        struct session_range r;
        char *end;
        if (parse_session_range(p, &end, &r) < 0 || (*end && *end != ','))
            return -1;
        struct session_range *grown = realloc(o->sessions, (o->nsessions + 1) * sizeof *grown);
        if (!grown)
            return -1;
        o->sessions = grown;
        o->sessions[o->nsessions++] = r;
        p = *end ? end + 1 : end;
    }
    return p == list || p[-1] == ',' ? -1 : 0;
}

static int parse_number(const char *arg, double min, double max, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(arg, &end);
    if (end == arg || *end || errno || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

/* A --sensor name: what a log pipeline can carry unescaped (it is escaped in the JSON anyway). */
static int check_sensor(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > 64)
        return -1;
    for (; *s; s++)
        if (*s < 0x21 || *s > 0x7e || *s == '"' || *s == '\\')
            return -1;
    return 0;
}

/* "K/N" into part K of N. */
static int parse_partition(const char *arg, unsigned *part, unsigned *nparts)
{
    char *end;
    errno = 0;
    unsigned long k = strtoul(arg, &end, 10), n;
    if (end == arg || *end != '/' || arg[0] == '-')
        return -1;
    const char *rest = end + 1;
    n = strtoul(rest, &end, 10);
    if (end == rest || *end || errno || *rest == '-' || k < 1 || n < k || n > 65536)
        return -1;
    *part = (unsigned)k;
    *nparts = (unsigned)n;
    return 0;
}

/* "90", "90s", "30m", "12h", "5d" into seconds. */
static int parse_duration(const char *arg, double *out)
{
    static const struct {
        char suffix;
        double seconds;
    } units[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}};
    char *end;
    errno = 0;
    double v = strtod(arg, &end);
    if (end == arg || errno || v < 0 || v > 1e9)
        return -1;
    double unit = *end ? 0 : 1;
    for (size_t i = 0; i < sizeof units / sizeof units[0] && *end; i++)
        if (end[0] == units[i].suffix && !end[1])
            unit = units[i].seconds;
    if (!unit)
        return -1;
    *out = v * unit;
    return 0;
}

enum {
    OPT_JSON = 256,
    OPT_VERIFY,
    OPT_IDLE,
    OPT_STREAMS,
    OPT_VERSION,
    OPT_DETECT,
    OPT_SLOW,
    OPT_SLOW_BANNER,
    OPT_TUI,
    OPT_NO_TUI,
    OPT_SPEED,
    OPT_WORKERS,
    OPT_STREAM,
    OPT_DUP_WINDOW,
    OPT_DUP_MEMORY,
    OPT_STATS,
    OPT_METRICS,
    OPT_EXTRACT,
    OPT_SESSION,
    OPT_HTML,
    OPT_HTML_SESSIONS,
    OPT_OUTSIDE,
    OPT_INSIDE,
    OPT_SENSOR,
    OPT_PARTITION,
    OPT_MERGE,
    OPT_PORTS /* OPT_PORTS + proto: that analyser's ports option; OPT_PORTS + PROTO_COUNT +
               * proto: its implicit-TLS ports option */
};

/* A list of capture files: -r's, --outside's, --inside's. */
typedef struct file_list {
    const char ***names;
    unsigned *n;
    const char *option; /* "-r", "--outside", "--inside" */
} file_list;

/* One more file; owned: a copy made here, freed by options_free. */
static int push_file(options *o, file_list l, const char *name, int owned)
{
    if (*l.n >= SNIFF_MAX_FILES)
        return fprintf(stderr, "smtpscope: %s '%s': too many capture files (at most 4096)\n",
                       l.option, name),
               -1;
    const char **files = realloc(*l.names, (*l.n + 1) * sizeof *files);
    if (files)
        *l.names = files;
    char *copy = owned ? strdup(name) : NULL;
    char **kept = owned ? realloc(o->names_owned, (o->nowned + 1) * sizeof *kept) : NULL;
    if (kept)
        o->names_owned = kept;
    if (!files || (owned && (!copy || !kept))) {
        free(copy);
        return cli_fail("%s", "out of memory"), -1;
    }
    if (owned)
        o->names_owned[o->nowned++] = copy;
    (*l.names)[(*l.n)++] = owned ? copy : name;
    o->file = o->files ? o->files[0] : NULL;
    return 0;
}

void options_free(options *o)
{
    for (unsigned i = 0; i < o->nowned; i++)
        free(o->names_owned[i]);
    free(o->names_owned);
    free(o->files);
    free(o->side_files[0]);
    free(o->side_files[1]);
    free(o->merge_files);
}

/* A file argument: the file, or when no such file exists and it has glob characters, the
 * files it matches (sorted). */
static int add_file_to(options *o, file_list l, const char *arg)
{
    struct stat st;
    glob_t g;
    if (stat(arg, &st) == 0 || !strpbrk(arg, "*?["))
        return push_file(o, l, arg, 0);
    int rc = glob(arg, 0, NULL, &g);
    if (rc != 0)
        return fprintf(stderr, "smtpscope: %s '%s': %s\n", l.option, arg,
                       rc == GLOB_NOMATCH ? "no file matches the pattern"
                                          : "cannot expand the pattern"),
               -1;
    for (size_t i = 0; i < g.gl_pathc && rc == 0; i++)
        rc = push_file(o, l, g.gl_pathv[i], 1);
    globfree(&g);
    return rc ? -1 : 0;
}

static int add_file(options *o, const char *arg)
{
    return add_file_to(o, (file_list){&o->files, &o->nfiles, "-r"}, arg);
}

static int add_side_file(options *o, int side, const char *arg)
{
    static const char *const option[] = {"--outside", "--inside"};
    return add_file_to(o, (file_list){&o->side_files[side], &o->nside[side], option[side]}, arg);
}

static int add_merge_file(options *o, const char *arg)
{
    return add_file_to(o, (file_list){&o->merge_files, &o->nmerge, "--merge"}, arg);
}

/* Standard input, a pipe or a FIFO can be read once: by one process. */
static int read_once(const char *file)
{
    struct stat st;
    return !strcmp(file, "-") || (stat(file, &st) == 0 && !S_ISREG(st.st_mode));
}

static int any_read_once(const options *o)
{
    for (unsigned i = 0; i < o->nfiles; i++)
        if (read_once(o->files[i]))
            return 1;
    return 0;
}

int options_compressed_file(const options *o)
{
    uint8_t head[8];
    ssize_t n = 0;
    if (!o->file || read_once(o->file))
        return 0;
    FILE *f = fopen(o->file, "rb");
    if (f) {
        n = (ssize_t)fread(head, 1, sizeof head, f);
        fclose(f);
    }
    return n > 0 && decompress_detect(head, (size_t)n) != NULL;
}

int options_one_process(const options *o)
{
    /* live, each worker would count its own packets */
    return o->tui == 1 || o->write_file || any_read_once(o) || o->nfiles > 1 ||
           (o->iface && o->count) || o->stats > 0 || o->metrics || o->nparts;
}

/* --extract reads the packets a second time once the sessions are known: from the -r file,
 * or the -w file of a live capture. */
static int check_extract(const options *o)
{
    if (o->nsessions && !o->extract)
        return cli_fail("%s", "--session picks the sessions --extract writes: give --extract FILE"),
               -1;
    if (!o->extract)
        return 0;
    if (o->nfiles > 1)
        return cli_fail("%s", "--extract reads one capture file again: not with several -r files "
                              "(merge them first: mergecap -w FILE)"),
               -1;
    if (o->file && read_once(o->file))
        return cli_fail("%s", "--extract reads the capture again at the end: standard input or a "
                              "pipe cannot be read twice (save it to a file first)"),
               -1;
    if (o->iface && !o->write_file)
        return cli_fail("%s", "--extract with -i reads the packets again from the -w file at the "
                              "end: give -w FILE"),
               -1;
    if (o->rotate_seconds || o->rotate_bytes)
        return cli_fail("%s", "--extract reads one -w file again: not with -G or -C (extract from "
                              "each file with -r)"),
               -1;
    return 0;
}

int options_merge(const options *o)
{
    return o->nmerge > 0;
}

/* An option that cannot go with a mode of running, when given. */
typedef struct refusal {
    int conflict;
    const char *what;
} refusal;

/* The first refusal that applies, said as "MODE: not with WHAT": -1; else 0. */
static int refuse_any(const refusal *r, size_t n, const char *mode)
{
    for (size_t i = 0; i < n; i++)
        if (r[i].conflict)
            return fprintf(stderr, "smtpscope: %s: not with %s\n", mode, r[i].what), -1;
    return 0;
}

/* --merge: other runs' records, no capture. */
static int check_merge(const options *o)
{
    const refusal refused[] = {{o->nfiles > 0, "-r"},
                               {o->iface != NULL, "-i"},
                               {o->write_file != NULL, "-w"},
                               {options_path(o), "--outside/--inside"},
                               {o->tui == 1, "--tui"},
                               {o->extract != NULL, "--extract"},
                               {o->stats > 0, "--stats"},
                               {o->metrics != NULL, "--metrics"},
                               {o->workers > 1, "--workers above 1"},
                               {o->nparts > 0, "--partition"},
                               {o->count > 0, "-c"}};
    if (refuse_any(refused, sizeof refused / sizeof refused[0],
                   "--merge reads other runs' JSON, no capture") < 0)
        return -1;
    unsigned stdin_inputs = 0;
    for (unsigned i = 0; i < o->nmerge; i++)
        stdin_inputs += !strcmp(o->merge_files[i], "-");
    if (stdin_inputs && o->nmerge > 1)
        return cli_fail("%s", "--merge -: a stream (several sensors' lines as they come) is "
                              "the only input; give files or the stream"),
               -1;
    return 0;
}

int options_path(const options *o)
{
    return o->nside[0] || o->nside[1];
}

/* --outside/--inside: two offline captures analysed one after the other in this process. */
static int check_path(const options *o)
{
    const refusal refused[] = {{o->nfiles > 0, "-r"},
                               {o->iface != NULL, "-i"},
                               {o->write_file != NULL, "-w"},
                               {o->tui == 1, "--tui"},
                               {o->extract != NULL, "--extract"},
                               {o->html != NULL, "--html"},
                               {o->stats > 0, "--stats"},
                               {o->metrics != NULL, "--metrics"},
                               {o->workers > 1, "--workers above 1"},
                               {o->nparts > 0, "--partition (a box changes the address pairs)"}};
    if (!o->nside[0] || !o->nside[1])
        return cli_fail("%s", "--outside and --inside go together: the captures on the two sides "
                              "of the box (try --help)"),
               -1;
    if (refuse_any(refused, sizeof refused / sizeof refused[0],
                   "--outside/--inside compare two captures in one process") < 0)
        return -1;
    for (int side = 0; side < 2; side++)
        for (unsigned i = 0; i < o->nside[side]; i++)
            if (read_once(o->side_files[side][i]))
                return cli_fail("--outside/--inside '%s': each must be a file (not standard input "
                                "or a pipe)",
                                o->side_files[side][i]),
                       -1;
    return 0;
}

/* The combinations that cannot work, said before anything is opened. */
static int check_sources(const options *o)
{
    if (o->list_interfaces)
        return 0;
    if (options_merge(o))
        return check_merge(o);
    if (options_path(o))
        return check_path(o);
    if (!o->file && !o->iface)
        return cli_fail("%s", "no capture given: use -r FILE or -i IFACE (try --help)"), -1;
    if (o->file && o->iface)
        return cli_fail("%s", "-r and -i exclude each other: read a file or capture live"), -1;
    if (o->file && o->write_file)
        return cli_fail("%s", "-w writes a live capture (-i); to cut a file use tcpdump -r -w"), -1;
    if ((o->rotate_seconds || o->rotate_bytes || o->rotate_files) && !o->write_file)
        return cli_fail("%s", "-G, -C and -W rotate the -w file: give -w FILE (with -i)"), -1;
    if (o->rotate_files && !o->rotate_seconds && !o->rotate_bytes)
        return cli_fail("%s", "-W counts the files of -C (a ring of N) or of -G (then the "
                              "capture ends): give one of them"),
               -1;
    if (o->speed > 0 && (o->iface || o->tui != 1))
        return cli_fail("%s",
                        "--speed paces a file replay on the live screen: use it with --tui -r"),
               -1;
    if (o->tui == 1 && o->json)
        return cli_fail("%s", "--tui and --json exclude each other"), -1;
    if ((o->stats > 0 || o->metrics) && o->tui == 1)
        return cli_fail("%s", "--stats and --metrics go with the report, not the live screen "
                              "(--no-tui)"),
               -1;
    if ((o->stats > 0 || o->metrics) && o->workers > 1)
        return cli_fail("%s", "--stats and --metrics count in one process: use --workers 1 "
                              "(the default with them)"),
               -1;
    if (check_extract(o) < 0)
        return -1;
    if (o->nfiles > 1 && any_read_once(o))
        return cli_fail("%s", "several -r files are merged in time order: each must be a file "
                              "(not standard input or a pipe)"),
               -1;
    if (o->workers > 1 && o->nfiles > 1)
        return cli_fail("%s", "--workers: several -r files are merged in one process "
                              "(--workers 1)"),
               -1;
    if (o->workers > 1 && o->nparts)
        return cli_fail("%s", "--partition is one share of the flows for one process: not with "
                              "--workers above 1 (run N partitions instead)"),
               -1;
    if (o->workers > 1 && options_one_process(o))
        return cli_fail("%s",
                        "--workers: the live screen, -w, reading a pipe and -c on a live capture "
                        "need one process (--workers 1)"),
               -1;
    return 0;
}

int options_parse(options *o, int argc, char **argv)
{
    static const struct option fixed[] = {
        {"detect", no_argument, 0, OPT_DETECT},
        {"json", no_argument, 0, OPT_JSON},
        {"verbose", no_argument, 0, 'v'},
        {"verify-checksums", no_argument, 0, OPT_VERIFY},
        {"idle-timeout", required_argument, 0, OPT_IDLE},
        {"max-streams", required_argument, 0, OPT_STREAMS},
        {"slow-reply", required_argument, 0, OPT_SLOW},
        {"slow-banner", required_argument, 0, OPT_SLOW_BANNER},
        {"tui", no_argument, 0, OPT_TUI},
        {"no-tui", no_argument, 0, OPT_NO_TUI},
        {"speed", required_argument, 0, OPT_SPEED},
        {"workers", required_argument, 0, OPT_WORKERS},
        {"stream", no_argument, 0, OPT_STREAM},
        {"dup-window", required_argument, 0, OPT_DUP_WINDOW},
        {"dup-memory", required_argument, 0, OPT_DUP_MEMORY},
        {"stats", required_argument, 0, OPT_STATS},
        {"metrics", required_argument, 0, OPT_METRICS},
        {"extract", required_argument, 0, OPT_EXTRACT},
        {"session", required_argument, 0, OPT_SESSION},
        {"html", required_argument, 0, OPT_HTML},
        {"html-sessions", required_argument, 0, OPT_HTML_SESSIONS},
        {"outside", required_argument, 0, OPT_OUTSIDE},
        {"inside", required_argument, 0, OPT_INSIDE},
        {"sensor", required_argument, 0, OPT_SENSOR},
        {"partition", required_argument, 0, OPT_PARTITION},
        {"merge", required_argument, 0, OPT_MERGE},
        {"help", no_argument, 0, 'h'},
        {"version", no_argument, 0, OPT_VERSION},
    };
    enum { NFIXED = sizeof fixed / sizeof fixed[0] };
    struct option longopts[NFIXED + 2 * PROTO_COUNT + 1];
    unsigned nopts = NFIXED;
    memcpy(longopts, fixed, sizeof fixed);
    for (unsigned p = 0; p < PROTO_COUNT; p++) {
        const analyser *an = pipeline_analyser((proto_id)p);
        longopts[nopts++] =
            (struct option){an->ports_option, required_argument, 0, OPT_PORTS + (int)p};
        parse_ports(o->ports[p], an->default_ports);
        if (!an->tls_ports_option)
            continue;
        longopts[nopts++] = (struct option){an->tls_ports_option, required_argument, 0,
                                            OPT_PORTS + PROTO_COUNT + (int)p};
        parse_ports(o->tls_ports[p], an->default_tls_ports);
    }
    longopts[nopts] = (struct option){0, 0, 0, 0};
    double v;
    int c;
    o->idle_timeout = REASM_DEFAULT_IDLE_TIMEOUT;
    o->smtp.slow_reply = SMTP_DEFAULT_SLOW_REPLY;
    o->smtp.slow_banner = SMTP_DEFAULT_SLOW_BANNER;
    o->max_streams = REASM_DEFAULT_MAX_STREAMS;
    o->tui = -1;
    o->dup_window = (double)(REPORT_DUP_WINDOW / 1000000);
    o->dup_memory = (double)(REPORT_DUP_MEMORY >> 20);
    o->html_sessions = HTML_SESSIONS_DRAWN;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":r:c:vhi:w:G:C:W:Z:B:s:pD", longopts, NULL)) != -1) {
        switch (c) {
        case 'r':
            if (add_file(o, optarg) < 0)
                return -1;
            break;
        case OPT_OUTSIDE:
        case OPT_INSIDE:
            if (add_side_file(o, c == OPT_INSIDE, optarg) < 0)
                return -1;
            break;
        case OPT_SENSOR:
            if (check_sensor(optarg) < 0)
                return cli_fail("bad sensor name '%s' (1 to 64 printable characters, no quotes or "
                                "backslashes)",
                                optarg),
                       -1;
            o->sensor = optarg;
            break;
        case OPT_MERGE:
            if (add_merge_file(o, optarg) < 0)
                return -1;
            break;
        case OPT_PARTITION:
            if (parse_partition(optarg, &o->part, &o->nparts) < 0)
                return cli_fail("bad partition '%s' (K/N: part K of N, 1 <= K <= N <= 65536)",
                                optarg),
                       -1;
            break;
        case 'c':
            if (parse_number(optarg, 1, 1e18, &v) < 0)
                return cli_fail("bad packet count '%s' (a positive number)", optarg), -1;
            o->count = (uint64_t)v;
            break;
        case 'v':
            o->verbose = 1;
            break;
        case OPT_JSON:
            o->json = 1;
            break;
        case OPT_DETECT:
            o->detect = 1;
            break;
        case OPT_VERIFY:
            o->verify_checksums = 1;
            break;
        case OPT_IDLE:
            if (parse_number(optarg, 1, 1e9, &v) < 0)
                return cli_fail("bad idle timeout '%s' (seconds, at least 1)", optarg), -1;
            o->idle_timeout = v;
            break;
        case OPT_STREAMS:
            if (parse_number(optarg, 16, 1 << 24, &v) < 0)
                return cli_fail("bad stream count '%s' (16 to 16777216)", optarg), -1;
            o->max_streams = (int)v;
            break;
        case 'h':
            usage(stdout);
            return 1;
        case OPT_SLOW:
            if (parse_number(optarg, 0.001, 1e9, &v) < 0)
                return cli_fail("bad reply threshold '%s' (seconds)", optarg), -1;
            o->smtp.slow_reply = v;
            break;
        case OPT_SLOW_BANNER:
            if (parse_number(optarg, 0.001, 1e9, &v) < 0)
                return cli_fail("bad greeting threshold '%s' (seconds)", optarg), -1;
            o->smtp.slow_banner = v;
            break;
        case 'i':
            o->iface = optarg;
            break;
        case 'w':
            o->write_file = optarg;
            break;
        case 'G':
            if (parse_number(optarg, 1, INT_MAX, &v) < 0 || v != (unsigned)v)
                return cli_fail("bad rotation period '%s' (whole seconds, at least 1)", optarg), -1;
            o->rotate_seconds = (unsigned)v;
            break;
        case 'C':
            if (rotate_parse_size(optarg, &o->rotate_bytes) < 0)
                return cli_fail("bad file size '%s' (millions of bytes, or a number with k, m "
                                "or g: KiB, MiB, GiB)",
                                optarg),
                       -1;
            break;
        case 'W':
            if (parse_number(optarg, 1, INT_MAX, &v) < 0 || v != (unsigned)v)
                return cli_fail("bad file count '%s' (a whole number, at least 1)", optarg), -1;
            o->rotate_files = (unsigned)v;
            break;
        case 'Z':
            o->user = optarg;
            break;
        case 'B':
            if (parse_number(optarg, 1, 2097151, &v) < 0)
                return cli_fail("bad buffer size '%s' (KiB, 1 to 2097151)", optarg), -1;
            o->buffer_kib = (int)v;
            break;
        case 's':
            if (parse_number(optarg, 0, 262144, &v) < 0)
                return cli_fail("bad snapshot length '%s' (0 to 262144)", optarg), -1;
            o->snaplen = (int)v;
            break;
        case 'p':
            o->no_promisc = 1;
            break;
        case 'D':
            o->list_interfaces = 1;
            break;
        case OPT_TUI:
        case OPT_NO_TUI:
            o->tui = c == OPT_TUI;
            break;
        case OPT_SPEED:
            if (parse_number(optarg, 0.001, 1e6, &v) < 0)
                return cli_fail("bad speed '%s' (a factor, e.g. 1 or 10)", optarg), -1;
            o->speed = v;
            break;
        case OPT_WORKERS:
            if (parse_number(optarg, 1, WORKERS_MAX, &v) < 0 || v != (int)v)
                return cli_fail("bad worker count '%s' (1 to " WORKERS_MAX_TEXT ")", optarg), -1;
            o->workers = (int)v;
            break;
        case OPT_STREAM:
            o->stream = 1;
            break;
        case OPT_DUP_WINDOW:
            if (parse_duration(optarg, &v) < 0)
                return cli_fail("bad window '%s' (a duration: 90s, 30m, 12h, 5d; 0 for none)",
                                optarg),
                       -1;
            o->dup_window = v;
            break;
        case OPT_DUP_MEMORY:
            if (parse_number(optarg, 0, 1 << 20, &v) < 0)
                return cli_fail("bad memory '%s' (MiB, 0 to 1048576; 0 for no limit)", optarg), -1;
            o->dup_memory = v;
            break;
        case OPT_STATS:
            if (parse_number(optarg, 0.1, 1e7, &v) < 0)
                return cli_fail("bad stats period '%s' (seconds, at least 0.1)", optarg), -1;
            o->stats = v;
            break;
        case OPT_METRICS:
            if (!optarg[0])
                return cli_fail("%s", "--metrics needs a file name"), -1;
            o->metrics = optarg;
            break;
        case OPT_EXTRACT:
            if (!optarg[0])
                return cli_fail("%s", "--extract needs a file name"), -1;
            o->extract = optarg;
            break;
        case OPT_HTML:
            if (!optarg[0])
                return cli_fail("%s", "--html needs a file name"), -1;
            o->html = optarg;
            break;
        case OPT_HTML_SESSIONS:
            if (parse_number(optarg, 0, HTML_SESSIONS_DRAWN_MAX, &v) < 0 || v != (unsigned)v)
                return cli_fail("bad session count '%s' (a whole number, 0 to 2000)", optarg), -1;
            o->html_sessions = (unsigned)v;
            break;
        case OPT_SESSION:
            if (parse_sessions(o, optarg) < 0)
                return cli_fail("bad session list '%s' (session numbers as the report gives "
                                "them: 4 or 1,3 or 2-9)",
                                optarg),
                       -1;
            break;
        case OPT_VERSION:
            printf("smtpscope %s (%s)\n", SMTPSCOPE_VERSION, pcap_lib_version());
            return 1;
        case ':':
            return cli_fail("option '%s' needs a value (try --help)", argv[optind - 1]), -1;
        default:
            if (c >= OPT_PORTS && c < OPT_PORTS + 2 * PROTO_COUNT) {
                unsigned p = (unsigned)(c - OPT_PORTS);
                uint8_t *ports = p < PROTO_COUNT ? o->ports[p] : o->tls_ports[p - PROTO_COUNT];
                if (parse_ports(ports, optarg) < 0)
                    return cli_fail("bad port list '%s' (e.g. 25,587,2525)", optarg), -1;
                break;
            }
            return cli_fail("unknown option '%s' (try --help)", argv[optind - 1]), -1;
        }
    }
    join_ports(o);
    /* JSON carries none; the page draws it; the two sides' dialogues are compared; a sensor's
     * records carry them to a merged text report */
    o->smtp.no_transcript = o->json && !o->html && !options_path(o) && !o->sensor;
    o->pop3.no_transcript = o->smtp.no_transcript;
    /* --merge FILE...: the shell's expansion of a glob gives the files after the first */
    for (; options_merge(o) && optind < argc; optind++)
        if (add_merge_file(o, argv[optind]) < 0)
            return -1;
    if (check_sources(o) < 0)
        return -1;
    if (optind < argc && !(o->filter = join_args(argc - optind, argv + optind)))
        return cli_fail("%s", "out of memory"), -1;
    return 0;
}
