/* tests/rng.h: the tests' pseudo-random numbers (xorshift64), seeded by each caller so a
 * failure repeats exactly. */
#ifndef SMTPSCOPE_TESTS_RNG_H
#define SMTPSCOPE_TESTS_RNG_H

#include <stdint.h>

static inline uint64_t rng_next(uint64_t *state)
{
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    return *state;
}

#endif
