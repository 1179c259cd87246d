/* The greeting classifier. */
#include <CUnit/CUnit.h>
#include <string.h>

#include "smtp/banner.h"
#include "tests/suites.h"

static banner_mask classify(const char *line)
{
    return smtp_banner_classify(line, strlen(line));
}

static void test_pix51_masks(void)
{
    CU_ASSERT_EQUAL(classify("220 *********0****************2*****"), BANNER_MASKED_EXCEPT_20);
    CU_ASSERT_EQUAL(classify("220 *****2****0***** ***** 2026"), BANNER_NORMAL); /* '6' left */
    CU_ASSERT_EQUAL(classify("220 ***** ** **20** ****"), BANNER_MASKED_EXCEPT_20);
}

static void test_pix44_masks_everything(void)
{
    CU_ASSERT_EQUAL(classify("220 ****************************"), BANNER_MASKED_ALL);
    CU_ASSERT_EQUAL(classify("*****************"), BANNER_MASKED_ALL); /* code masked too */
}

static void test_masked_hyphen_line(void)
{
    /* "220-" with its hyphen masked: judged as a whole line */
    CU_ASSERT_EQUAL(classify("220*******************"), BANNER_MASKED_EXCEPT_20);
    CU_ASSERT_EQUAL(classify("220-****************"), BANNER_MASKED_ALL);
}

static void test_normal_banners(void)
{
    CU_ASSERT_EQUAL(classify("220 mx.example.net ESMTP Postfix"), BANNER_NORMAL);
    CU_ASSERT_EQUAL(classify("220 mx ESMTP ** no UCE **"), BANNER_NORMAL);
    CU_ASSERT_EQUAL(classify("220 2.0.0 ready"), BANNER_NORMAL);
    CU_ASSERT_EQUAL(classify("220 ** 2000 **"), BANNER_NORMAL); /* too few stars for the digits */
    CU_ASSERT_EQUAL(classify("220 **"), BANNER_NORMAL);
    CU_ASSERT_EQUAL(classify("220 "), BANNER_NORMAL);
    CU_ASSERT_EQUAL(classify(""), BANNER_NORMAL);
    CU_ASSERT_EQUAL(classify("220 ***** \x1b[2J"), BANNER_NORMAL);
}

void add_banner_suite(void)
{
    CU_pSuite s = CU_add_suite("banner", NULL, NULL);
    CU_add_test(s, "PIX 5.1 style", test_pix51_masks);
    CU_add_test(s, "PIX 4.4 style", test_pix44_masks_everything);
    CU_add_test(s, "masked hyphen", test_masked_hyphen_line);
    CU_add_test(s, "normal banners", test_normal_banners);
}
