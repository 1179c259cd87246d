/* Internal to sniff/: opening a network interface. */
#ifndef SMTPSCOPE_SNIFF_LIVE_H
#define SMTPSCOPE_SNIFF_LIVE_H

#include "sniff/sniff.h"

/* Opens and activates cfg->iface for capture; NULL with a message in err. */
pcap_t *live_open(const sniff_config *cfg, char *err, size_t errlen);
/* Installs the kernel filter: the user's compiled expression, else one that keeps at least
 * what the port filter (sniff_config) keeps, so the kernel drops the rest before copying. */
int live_filter(pcap_t *p, const sniff_config *cfg, const struct bpf_program *user, char *err,
                size_t errlen);
/* Joins cfg->fanout_group (the socket must be bound: after live_open). */
int live_fanout(pcap_t *p, const sniff_config *cfg, char *err, size_t errlen);
/* The state of the interface named iface that had index ifindex when the capture opened
 * (0: not watched, e.g. "any"), asked of the kernel through the capture's socket. */
sniff_if_state live_iface_state(pcap_t *p, const char *iface, unsigned ifindex);
/* The kernel filter text for the port filter, written to out. */
void live_port_filter(const uint8_t *ports, int any_tcp, char *out, size_t cap);

#endif
