/*
 * test_utf8.c - the shared strict UTF-8 routines (src/common/utf8.h):
 * every rejection class and an encode/decode round trip over all scalar
 * values.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/utf8.h"

static size_t dec(const char *s, size_t n, uint32_t *cp)
{
	return rp_utf8_decode((const uint8_t *)s, n, cp);
}

static void test_rejections(void **state)
{
	(void)state;
	uint32_t cp;
	assert_int_equal(dec("\xc0\xaf", 2, &cp), 0);         /* overlong '/' */
	assert_int_equal(dec("\xe0\x80\xaf", 3, &cp), 0);     /* overlong, 3 bytes */
	assert_int_equal(dec("\xf0\x80\x80\xaf", 4, &cp), 0); /* overlong, 4 bytes */
	assert_int_equal(dec("\xed\xa0\x80", 3, &cp), 0);     /* U+D800 */
	assert_int_equal(dec("\xed\xbf\xbf", 3, &cp), 0);     /* U+DFFF */
	assert_int_equal(dec("\xf4\x90\x80\x80", 4, &cp), 0); /* > U+10FFFF */
	assert_int_equal(dec("\xf5\x80\x80\x80", 4, &cp), 0);
	assert_int_equal(dec("\x80", 1, &cp), 0);             /* lone continuation */
	assert_int_equal(dec("\xe2\x82", 2, &cp), 0);         /* truncated */
	assert_int_equal(dec("\xe2\x28\xac", 3, &cp), 0);     /* bad continuation */
	assert_false(rp_utf8_valid((const uint8_t *)"ok\xff", 3));
	assert_true(rp_utf8_valid((const uint8_t *)"", 0));
	uint8_t out[4];
	assert_int_equal(rp_utf8_encode(0xd800, out), 0);
	assert_int_equal(rp_utf8_encode(0x110000, out), 0);
}

static void test_round_trip(void **state)
{
	(void)state;
	uint8_t out[4];
	for (uint32_t c = 0; c <= 0x10ffff; c++) {
		if (c >= 0xd800 && c <= 0xdfff)
			continue;
		size_t n = rp_utf8_encode(c, out);
		assert_true(n >= 1 && n <= 4);
		uint32_t back = 0;
		assert_int_equal(rp_utf8_decode(out, n, &back), n);
		assert_int_equal(back, c);
		assert_true(rp_utf8_valid(out, n));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rejections),
		cmocka_unit_test(test_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
