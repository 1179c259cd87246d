/* sniff/live: capture from a network interface. See live.h. */
#include "sniff/live.h"

#include <errno.h>
#include <net/if.h>
#include <linux/if_packet.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

/* A failed pcap_activate, in words an operator can act on. */
static void activate_error(pcap_t *p, int rc, const char *iface, char *err, size_t errlen)
{
    const char *why = pcap_geterr(p);
    switch (rc) {
    case PCAP_ERROR_NO_SUCH_DEVICE:
        snprintf(err, errlen, "no interface '%s' to capture on (smtpscope -D lists them)", iface);
        break;
    case PCAP_ERROR_PERM_DENIED:
    case PCAP_ERROR_PROMISC_PERM_DENIED:
        snprintf(err, errlen,
                 "no permission to capture on '%s': run as root, or give the binary the "
                 "capabilities (setcap cap_net_raw,cap_net_admin=eip smtpscope)%s%s",
                 iface, why[0] ? ": " : "", why);
        break;
    case PCAP_ERROR_IFACE_NOT_UP:
        snprintf(err, errlen, "interface '%s' is down (ip link set %s up)", iface, iface);
        break;
    default:
        snprintf(err, errlen, "cannot capture on '%s': %s", iface,
                 why[0] ? why : pcap_statustostr(rc));
        break;
    }
}

pcap_t *live_open(const sniff_config *cfg, char *err, size_t errlen)
{
    char pcap_err[PCAP_ERRBUF_SIZE] = "";
    pcap_t *p = pcap_create(cfg->iface, pcap_err);
    if (!p) {
        snprintf(err, errlen, "cannot capture on '%s': %s", cfg->iface, pcap_err);
        return NULL;
    }
    int snaplen = cfg->snaplen > 0 ? cfg->snaplen : SNIFF_DEFAULT_SNAPLEN;
    int kib = cfg->buffer_kib > 0 ? cfg->buffer_kib : SNIFF_DEFAULT_BUFFER_KIB;
    /* Immediate mode: a session's packets reach the analyser (and the screen) as they come,
     * not when a kernel block fills; the large buffer absorbs bursts instead. */
    pcap_set_snaplen(p, snaplen);
    pcap_set_promisc(p, !cfg->no_promisc);
    pcap_set_immediate_mode(p, 1);
    pcap_set_buffer_size(p, kib > 2097151 ? 2147483647 : kib * 1024);
    pcap_set_timeout(p, SNIFF_READ_TIMEOUT_MS);
    int rc = pcap_activate(p);
    if (rc < 0) {
        activate_error(p, rc, cfg->iface, err, errlen);
        pcap_close(p);
        return NULL;
    }
    if (rc > 0) /* a warning: the capture works, say what is odd */
        fprintf(stderr, "smtpscope: %s: %s\n", cfg->iface,
                rc == PCAP_WARNING_PROMISC_NOTSUP ? "promiscuous mode not supported"
                                                  : pcap_geterr(p));
    return p;
}

static int append(char *out, size_t cap, size_t *n, const char *text)
{
    size_t len = strlen(text);
    if (*n + len + 1 > cap)
        return -1;
    memcpy(out + *n, text, len + 1);
    *n += len;
    return 0;
}

/* "tcp port 25 or tcp port 587 ...", or "tcp" when the list does not fit. */
static void port_terms(const uint8_t *ports, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = '\0';
    for (unsigned port = 1; port < 65536; port++) {
        if (!((ports[port / 8] >> (port % 8)) & 1))
            continue;
        char term[32];
        snprintf(term, sizeof term, "%stcp port %u", n ? " or " : "", port);
        if (append(out, cap, &n, term) < 0) {
            snprintf(out, cap, "tcp");
            return;
        }
    }
}

void live_port_filter(const uint8_t *ports, int any_tcp, char *out, size_t cap)
{
    /* IPv4 fragments (later pieces carry no ports) and IPv6 packets whose first header is
     * an extension header: the port filter looks inside those, the kernel filter cannot. */
    static const char frag[] = "(ip[6:2] & 0x3fff != 0) or (ip6 and (ip6[6] == 0 or "
                               "ip6[6] == 43 or ip6[6] == 44 or ip6[6] == 60))";
    char tcp[1024];
    out[0] = '\0';
    if (ports)
        port_terms(ports, tcp, sizeof tcp);
    else if (any_tcp)
        snprintf(tcp, sizeof tcp, "tcp");
    else
        return;
    /* "vlan" shifts the offsets of what follows it, so the tagged copy comes last. */
    snprintf(out, cap, "%s or %s or (vlan and (%s or %s))", tcp, frag, tcp, frag);
}

int live_filter(pcap_t *p, const sniff_config *cfg, const struct bpf_program *user, char *err,
                size_t errlen)
{
    struct bpf_program prog;
    char text[2600];
    const struct bpf_program *use = user;
    if (!use) {
        live_port_filter(cfg->ports, cfg->any_tcp, text, sizeof text);
        if (!text[0])
            return 0;
        if (pcap_compile(p, &prog, text, 1, PCAP_NETMASK_UNKNOWN) != 0) {
            snprintf(err, errlen, "cannot compile the port filter '%s': %s", text, pcap_geterr(p));
            return -1;
        }
        use = &prog;
    }
    int rc = pcap_setfilter(p, (struct bpf_program *)use);
    if (use == &prog)
        pcap_freecode(&prog);
    if (rc != 0) {
        snprintf(err, errlen, "cannot install the filter on '%s': %s", cfg->iface, pcap_geterr(p));
        return -1;
    }
    return 0;
}

int live_fanout(pcap_t *p, const sniff_config *cfg, char *err, size_t errlen)
{
    /* The kernel's flow hash is symmetric; DEFRAG hashes an IPv4 datagram once whole, so its
     * fragments (which have no ports) go where the rest of the flow goes. */
    int arg = (int)((cfg->fanout_group & 0xffff) |
                    (unsigned)(PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_DEFRAG) << 16);
    if (setsockopt(pcap_fileno(p), SOL_PACKET, PACKET_FANOUT, &arg, sizeof arg) != 0) {
        snprintf(err, errlen, "cannot share '%s' between workers (AF_PACKET fanout): %s",
                 cfg->iface, strerror(errno));
        return -1;
    }
    return 0;
}

sniff_if_state live_iface_state(pcap_t *p, const char *iface, unsigned ifindex)
{
    if (!ifindex)
        return SNIFF_IF_UNKNOWN;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", iface);
    if (ioctl(pcap_fileno(p), SIOCGIFINDEX, &ifr) != 0)
        return errno == ENODEV ? SNIFF_IF_GONE : SNIFF_IF_UNKNOWN;
    /* A new interface under the old name is not the one the socket is bound to. */
    if ((unsigned)ifr.ifr_ifindex != ifindex)
        return SNIFF_IF_GONE;
    if (ioctl(pcap_fileno(p), SIOCGIFFLAGS, &ifr) != 0)
        return errno == ENODEV ? SNIFF_IF_GONE : SNIFF_IF_UNKNOWN;
    if (!(ifr.ifr_flags & IFF_UP))
        return SNIFF_IF_DOWN;
    return ifr.ifr_flags & IFF_RUNNING ? SNIFF_IF_UP : SNIFF_IF_NO_CARRIER;
}
