/* wireshark: the display filter that selects a session's packets in Wireshark or tshark, for
 * the hand-off from the report to a packet-level look. */
#ifndef SMTPSCOPE_WIRESHARK_H
#define SMTPSCOPE_WIRESHARK_H

#include <stddef.h>
#include <stdint.h>

/* Two IPv6 addresses written twice each, the ports and the frame numbers fit. */
#define WIRESHARK_FILTER_MAX 512

/* The filter for the TCP packets between client and server ("addr:port" or "[v6]:port"), in
 * either direction, from frame first to frame last:
 *   !icmp && ((ip.src==C && tcp.srcport==c && ip.dst==S && tcp.dstport==s) ||
 *             (ip.src==S && tcp.srcport==s && ip.dst==C && tcp.dstport==c))
 *   && frame.number>=first && frame.number<=last
 * (ipv6.src, ipv6.dst and !icmpv6 for IPv6; on one line). Each endpoint is matched whole, so
 * the same hosts with their ports the other way round do not match, and the ICMP errors that
 * quote a packet of the session (Wireshark reads the quoted addresses and ports as fields)
 * are left out. With several capture files (report_frame_named) the frame range is left out:
 * each file numbers its own frames, and the filter selects the session in any of them.
 * Returns 0, or -1 (out empty) when an endpoint is not one or first is 0. */
int wireshark_filter(char *out, size_t cap, const char *client, const char *server, uint64_t first,
                     uint64_t last);

#endif
