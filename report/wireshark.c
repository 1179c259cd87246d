/* wireshark: a session's display filter. See wireshark.h. */
#include "report/wireshark.h"

#include <arpa/inet.h>
#include <string.h>

#include "base/addrtext.h"

#include "report/report.h"
#include "sniff/extract.h"

/* Appends n bytes of s to out (len so far, room cap with the NUL); -1 when they do not fit. */
static int cat(char *out, size_t cap, size_t *len, const char *s, size_t n)
{
    if (*len + n >= cap)
        return -1;
    memcpy(out + *len, s, n);
    *len += n;
    out[*len] = '\0';
    return 0;
}

static int cat_str(char *out, size_t cap, size_t *len, const char *s)
{
    return cat(out, cap, len, s, strlen(s));
}

static int cat_decimal(char *out, size_t cap, size_t *len, uint64_t v)
{
    char d[20];
    return cat(out, cap, len, d, text_decimal(d, v));
}

/* One direction: "ip.src==A && tcp.srcport==a && ip.dst==B && tcp.dstport==b", built by
 * hand: snprintf's format parsing, and inet_ntop, were 11 % of a run on short sessions. */
static int direction(char *out, size_t cap, const char *ip, const extract_endpoint *from,
                     const extract_endpoint *to)
{
    char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
    int family = from->family == 6 ? 6 : 4;
    size_t len = 0;

    if (cap)
        out[0] = '\0';
    if (!addr_text(a, sizeof a, family, from->addr) || !addr_text(b, sizeof b, family, to->addr))
        return -1;
    if (cat_str(out, cap, &len, ip) || cat_str(out, cap, &len, ".src==") ||
        cat_str(out, cap, &len, a) || cat_str(out, cap, &len, " && tcp.srcport==") ||
        cat_decimal(out, cap, &len, from->port) || cat_str(out, cap, &len, " && ") ||
        cat_str(out, cap, &len, ip) || cat_str(out, cap, &len, ".dst==") ||
        cat_str(out, cap, &len, b) || cat_str(out, cap, &len, " && tcp.dstport==") ||
        cat_decimal(out, cap, &len, to->port))
        return -1;
    return 0;
}

int wireshark_filter(char *out, size_t cap, const char *client, const char *server, uint64_t first,
                     uint64_t last)
{
    extract_endpoint c, s;
    char there[WIRESHARK_FILTER_MAX / 2], back[WIRESHARK_FILTER_MAX / 2];
    if (cap)
        out[0] = '\0';
    if (first == 0 || extract_parse_endpoint(client, &c) < 0 ||
        extract_parse_endpoint(server, &s) < 0 || c.family != s.family)
        return -1;
    const char *ip = c.family == 6 ? "ipv6" : "ip";
    if (direction(there, sizeof there, ip, &c, &s) < 0 ||
        direction(back, sizeof back, ip, &s, &c) < 0)
        return -1;
    const char *icmp = c.family == 6 ? "icmpv6" : "icmp";
    /* Several files: a frame number is one file's, and a filter is run on one file: the
     * addresses and ports alone select the session in each of them. */
    size_t len = 0;
    int bad = cat_str(out, cap, &len, "!") || cat_str(out, cap, &len, icmp) ||
              cat_str(out, cap, &len, " && ((") || cat_str(out, cap, &len, there) ||
              cat_str(out, cap, &len, ") || (") || cat_str(out, cap, &len, back) ||
              cat_str(out, cap, &len, "))");
    if (!bad && !report_frame_named())
        bad = cat_str(out, cap, &len, " && frame.number>=") || cat_decimal(out, cap, &len, first) ||
              cat_str(out, cap, &len, " && frame.number<=") || cat_decimal(out, cap, &len, last);
    if (bad) {
        if (cap)
            out[0] = '\0';
        return -1;
    }
    return 0;
}
