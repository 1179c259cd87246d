/* base/map: the hash map every table of smtpscope uses. */
#include <CUnit/CUnit.h>
#include <stdlib.h>
#include <string.h>

#include "base/map.h"
#include "tests/suites.h"

static void test_add_find_remove(void)
{
    map m = {0};
    CU_ASSERT_PTR_NULL(map_find(&m, 7, NULL, NULL)); /* empty: nothing allocated */
    CU_ASSERT_EQUAL(map_add(&m, 7, 70), 0);
    CU_ASSERT_EQUAL(map_add(&m, 8, 80), 0);
    CU_ASSERT_EQUAL(*map_find(&m, 7, NULL, NULL), 70);
    CU_ASSERT_EQUAL(*map_find(&m, 8, NULL, NULL), 80);
    CU_ASSERT_PTR_NULL(map_find(&m, 9, NULL, NULL));
    uint64_t v = 0;
    CU_ASSERT_EQUAL(map_remove(&m, 7, NULL, NULL, &v), 1);
    CU_ASSERT_EQUAL(v, 70);
    CU_ASSERT_EQUAL(map_remove(&m, 7, NULL, NULL, &v), 0);
    CU_ASSERT_PTR_NULL(map_find(&m, 7, NULL, NULL));
    CU_ASSERT_EQUAL(m.used, 1);
    CU_ASSERT_EQUAL(map_add(&m, 0, 1), -1); /* 0 marks empty slots: refused */
    CU_ASSERT_EQUAL(map_key(0), 1);
    CU_ASSERT_EQUAL(map_key(5), 5);
    map_free(&m);
    CU_ASSERT_PTR_NULL(m.slot);
}

static void test_upsert(void)
{
    map m = {0};
    int added = 0;
    uint64_t *v = map_upsert(&m, 42, &added);
    CU_ASSERT_FATAL(v != NULL);
    CU_ASSERT_EQUAL(added, 1);
    CU_ASSERT_EQUAL(*v, 0);
    *v = 9;
    v = map_upsert(&m, 42, &added);
    CU_ASSERT_EQUAL(added, 0);
    CU_ASSERT_EQUAL(*v, 9);
    CU_ASSERT_EQUAL(m.used, 1);
    map_free(&m);
}

static int value_is(uint64_t value, const void *arg)
{
    return value == *(const uint64_t *)arg;
}

/* Several entries under one key (callers keying by a hash): each found and removed by its
 * own value. */
static void test_repeated_keys(void)
{
    map m = {0};
    for (uint64_t v = 1; v <= 5; v++)
        CU_ASSERT_EQUAL(map_add(&m, 1234, v), 0);
    for (uint64_t v = 1; v <= 5; v++) {
        uint64_t *got = map_find(&m, 1234, value_is, &v);
        CU_ASSERT_FATAL(got != NULL);
        CU_ASSERT_EQUAL(*got, v);
    }
    uint64_t three = 3, six = 6;
    CU_ASSERT_EQUAL(map_remove(&m, 1234, value_is, &three, NULL), 1);
    CU_ASSERT_PTR_NULL(map_find(&m, 1234, value_is, &three));
    CU_ASSERT_PTR_NULL(map_find(&m, 1234, value_is, &six));
    for (uint64_t v = 1; v <= 5; v++)
        CU_ASSERT_EQUAL(map_find(&m, 1234, value_is, &v) != NULL, v != 3);
    map_free(&m);
}

/* A random mix of adds and removes checked against a plain array after every step; keys
 * drawn from a small range so that runs collide and wrap around the table's end. */
static void test_against_reference(void)
{
    enum { KEYS = 3000, STEPS = 60000 };
    static uint64_t ref[KEYS]; /* 0: absent, else value */
    map m = {0};
    unsigned seed = 12345, present = 0;
    memset(ref, 0, sizeof ref);
    for (int step = 0; step < STEPS; step++) {
        seed = seed * 1103515245u + 12345u;
        uint64_t k = 1 + (seed >> 8) % KEYS;
        if (ref[k - 1]) {
            uint64_t v = 0;
            CU_ASSERT_EQUAL(map_remove(&m, k, NULL, NULL, &v), 1);
            CU_ASSERT_EQUAL(v, ref[k - 1]);
            ref[k - 1] = 0;
            present--;
        } else {
            ref[k - 1] = (uint64_t)step + 1;
            CU_ASSERT_EQUAL(map_add(&m, k, ref[k - 1]), 0);
            present++;
        }
        CU_ASSERT_EQUAL(m.used, present);
        if (step % 997 == 0) /* a full check now and then: every key where it should be */
            for (uint64_t q = 1; q <= KEYS; q++) {
                uint64_t *v = map_find(&m, q, NULL, NULL);
                CU_ASSERT_EQUAL(v ? *v : 0, ref[q - 1]);
            }
    }
    CU_ASSERT(m.used * 4 <= m.cap * 3);
    map_free(&m);
}

/* Keys that come and go leave nothing behind: a steady 1,000 live keys through 200,000
 * insertions keep the table at the size 1,000 keys need. */
static void test_churn_keeps_size(void)
{
    map m = {0};
    for (uint64_t k = 1; k <= 1000; k++)
        map_add(&m, k, k);
    size_t cap = m.cap;
    for (uint64_t k = 1001; k <= 201000; k++) {
        map_add(&m, k, k);
        CU_ASSERT_EQUAL_FATAL(map_remove(&m, k - 1000, NULL, NULL, NULL), 1);
    }
    CU_ASSERT_EQUAL(m.used, 1000);
    CU_ASSERT_EQUAL(m.cap, cap);
    for (uint64_t k = 200001; k <= 201000; k++)
        CU_ASSERT_PTR_NOT_NULL(map_find(&m, k, NULL, NULL));
    map_free(&m);
}

void add_map_suite(void)
{
    CU_pSuite s = CU_add_suite("map", NULL, NULL);
    CU_add_test(s, "add, find, remove", test_add_find_remove);
    CU_add_test(s, "upsert", test_upsert);
    CU_add_test(s, "repeated keys told apart by value", test_repeated_keys);
    CU_add_test(s, "random adds and removes against a reference", test_against_reference);
    CU_add_test(s, "churn keeps the table its size", test_churn_keeps_size);
}
