/* addrtext: IP addresses and endpoints as text, as inet_ntop writes them: IPv4 by hand
 * (inet_ntop and printf were 8 % of a run on captures of short sessions), IPv6 by inet_ntop. */
#ifndef SMTPSCOPE_ADDRTEXT_H
#define SMTPSCOPE_ADDRTEXT_H

#include <stddef.h>
#include <stdint.h>

/* The longest text: "[" IPv6 "]:" port, and the NUL. */
#define ADDRTEXT_ENDPOINT_MAX 54

/* The address (family 4: 4 bytes in network order; 6: 16 bytes) into out, terminated; returns
 * its length, or 0 (out "") when it does not fit in cap. */
size_t addr_text(char *out, size_t cap, int family, const uint8_t *addr);
/* "A:port", or "[A]:port" for IPv6; the same return. */
size_t endpoint_text(char *out, size_t cap, int family, const uint8_t *addr, uint16_t port);
/* The decimal digits of v into out (room for 20), not terminated; returns their count. */
size_t text_decimal(char *out, uint64_t v);

#endif
