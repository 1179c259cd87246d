/* wireshark: a session's display filter. See wireshark.h. */
#include "report/wireshark.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>

#include "report/report.h"
#include "sniff/extract.h"

/* One direction: "ip.src==A && tcp.srcport==a && ip.dst==B && tcp.dstport==b". */
static int direction(char *out, size_t cap, const char *ip, const extract_endpoint *from,
                     const extract_endpoint *to)
{
    char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
    int af = from->family == 6 ? AF_INET6 : AF_INET;
    if (!inet_ntop(af, from->addr, a, sizeof a) || !inet_ntop(af, to->addr, b, sizeof b))
        return -1;
    int n = snprintf(out, cap, "%s.src==%s && tcp.srcport==%u && %s.dst==%s && tcp.dstport==%u", ip,
                     a, from->port, ip, b, to->port);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
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
    int n = report_frame_named() ? snprintf(out, cap, "!%s && ((%s) || (%s))", icmp, there, back)
                                 : snprintf(out, cap,
                                            "!%s && ((%s) || (%s)) && frame.number>=%" PRIu64
                                            " && frame.number<=%" PRIu64,
                                            icmp, there, back, first, last);
    if (n < 0 || (size_t)n >= cap) {
        if (cap)
            out[0] = '\0';
        return -1;
    }
    return 0;
}
