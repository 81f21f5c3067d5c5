/*
 * test_config.c - cmocka tests of src/broker/config.c (rpvault.conf).
 *
 * Why: the configuration is read by the privileged broker before anything
 * else; it must accept the documented INI subset and refuse everything
 * else with a message naming the file and the line ("NAME:LINE: ..."), so
 * an operator can fix a packaged /etc/rpvault/rpvault.conf without
 * guessing. Covers rp_config_parse on in-memory text and rp_config_load on
 * real files (missing, present, oversized, a directory).
 * Security posture: test code; creates and removes files under a private
 * mkdtemp directory only.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "broker/config.h"

/* ---- helpers ------------------------------------------------------------ */

static int parse_n(rp_config *c, const char *text, size_t len, rp_err *err)
{
	rp_config_init(c);
	rp_err_clear(err);
	return rp_config_parse(c, text, len, "test.conf", err);
}

static int parse(rp_config *c, const char *text, rp_err *err)
{
	return parse_n(c, text, strlen(text), err);
}

static void expect_error_n(const char *text, size_t len, const char *msg)
{
	rp_config c;
	rp_err err;
	if (parse_n(&c, text, len, &err) == 0)
		fail_msg("accepted; expected '%s'", msg);
	assert_int_equal(err.code, RP_E_USAGE);
	assert_string_equal(err.msg, msg);
}

static void expect_error(const char *text, const char *msg)
{
	expect_error_n(text, strlen(text), msg);
}

static char *repeat(char ch, size_t n)
{
	char *s = malloc(n + 1);
	assert_non_null(s);
	memset(s, ch, n);
	s[n] = '\0';
	return s;
}

/* A private directory for the file tests. */
static int setup_dir(void **state)
{
	const char *tmp = getenv("TMPDIR");
	char *dir = malloc(4096);
	snprintf(dir, 4096, "%s/rpvault-test-config-XXXXXX", tmp != NULL && tmp[0] ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		free(dir);
		return -1;
	}
	*state = dir;
	return 0;
}

static int teardown_dir(void **state)
{
	char *dir = *state;
	static const char *const names[] = {"rpvault.conf", "big.conf", "bad.conf"};
	char p[4200];
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		snprintf(p, sizeof p, "%s/%s", dir, names[i]);
		(void)unlink(p);
	}
	snprintf(p, sizeof p, "%s/sub", dir);
	(void)rmdir(p);
	(void)rmdir(dir);
	free(dir);
	return 0;
}

static void write_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* ---- rp_config_parse: accepted files ------------------------------------ */

static void test_valid_file(void **state)
{
	(void)state;
	rp_config c;
	rp_err err;
	const char *text = "# rpvault.conf\n"
			   "; comments either way\n"
			   "\n"
			   "[store]\n"
			   "  uri   =   file:///var/lib/rpvault/store   \n"
			   "\t# indented comment\n"
			   "[sandbox]\n"
			   "user=rpvault\n";
	if (parse(&c, text, &err) != 0)
		fail_msg("rejected: %s", err.msg);
	assert_string_equal(c.store_uri, "file:///var/lib/rpvault/store");
	assert_string_equal(c.sandbox_user, "rpvault");
}

static void test_valid_variants(void **state)
{
	(void)state;
	rp_config c;
	rp_err err;
	/* CRLF line ends, no final newline, '=' inside the value, sections in
	 * any order and repeated (the last value wins) */
	const char *text = "[sandbox]\r\nuser = nobody\r\n[store]\r\nuri = s3://bucket/dg/runpacks?region=eu-west-1\r\n"
			   "[sandbox]\r\nuser = rpvault";
	if (parse(&c, text, &err) != 0)
		fail_msg("rejected: %s", err.msg);
	assert_string_equal(c.store_uri, "s3://bucket/dg/runpacks?region=eu-west-1");
	assert_string_equal(c.sandbox_user, "rpvault");
	/* an empty file and a file of comments set nothing */
	assert_int_equal(parse(&c, "", &err), 0);
	assert_string_equal(c.store_uri, "");
	assert_string_equal(c.sandbox_user, "");
	assert_int_equal(parse(&c, "# nothing\n\n   \n;\n", &err), 0);
	assert_string_equal(c.store_uri, "");
	/* only the given length is read */
	assert_int_equal(parse_n(&c, "[sandbox]\nuser = abcdef", 21, &err), 0);
	assert_string_equal(c.sandbox_user, "abcd");
	/* UTF-8 is not a control character */
	assert_int_equal(parse(&c, "[store]\nuri = file:///srv/d\xc3\xa9p\xc3\xb4t\n", &err), 0);
	assert_string_equal(c.store_uri, "file:///srv/d\xc3\xa9p\xc3\xb4t");
}

static void test_value_length_limits(void **state)
{
	(void)state;
	rp_config c;
	rp_err err;
	char text[8192];
	/* store.uri holds sizeof - 1 = 4111 bytes, sandbox.user 255 */
	char *v = repeat('u', sizeof c.store_uri - 1);
	snprintf(text, sizeof text, "[store]\nuri = %s\n", v);
	assert_int_equal(parse(&c, text, &err), 0);
	assert_int_equal(strlen(c.store_uri), sizeof c.store_uri - 1);
	free(v);
	v = repeat('n', RP_MAX_ID_BYTES);
	snprintf(text, sizeof text, "[sandbox]\nuser = %s\n", v);
	assert_int_equal(parse(&c, text, &err), 0);
	assert_string_equal(c.sandbox_user, v);
	free(v);
}

static void test_store_s3_keys(void **state)
{
	(void)state;
	rp_config c;
	rp_err err;
	/* nothing set: strings empty, booleans "unset" (-1), not false */
	assert_int_equal(parse(&c, "[store]\nuri = s3://b\n", &err), 0);
	assert_string_equal(c.store_endpoint, "");
	assert_string_equal(c.store_region, "");
	assert_string_equal(c.store_ca_file, "");
	assert_string_equal(c.store_credentials_file, "");
	assert_int_equal(c.store_path_style, -1);
	assert_int_equal(c.store_allow_http, -1);
	const char *text = "[store]\n"
			   "uri = s3://my-bucket/dg/runpacks\n"
			   "endpoint = http://127.0.0.1:7480\n"
			   "region = eu-west-1\n"
			   "path_style = true\n"
			   "allow_http = false\n"
			   "ca_file = /etc/ssl/private-ca.pem\n"
			   "credentials_file = /etc/rpvault/s3-credentials\n";
	if (parse(&c, text, &err) != 0)
		fail_msg("rejected: %s", err.msg);
	assert_string_equal(c.store_uri, "s3://my-bucket/dg/runpacks");
	assert_string_equal(c.store_endpoint, "http://127.0.0.1:7480");
	assert_string_equal(c.store_region, "eu-west-1");
	assert_int_equal(c.store_path_style, 1);
	assert_int_equal(c.store_allow_http, 0);
	assert_string_equal(c.store_ca_file, "/etc/ssl/private-ca.pem");
	assert_string_equal(c.store_credentials_file, "/etc/rpvault/s3-credentials");
	/* the other way round, and the last value wins */
	assert_int_equal(parse(&c, "[store]\npath_style = true\npath_style = false\nallow_http = true\n", &err), 0);
	assert_int_equal(c.store_path_style, 0);
	assert_int_equal(c.store_allow_http, 1);
}

static void test_store_s3_keys_refused(void **state)
{
	(void)state;
	/* booleans are exactly true or false */
	expect_error("[store]\npath_style = yes\n", "test.conf:2: value of store.path_style must be true or false");
	expect_error("[store]\n\nallow_http = TRUE\n", "test.conf:3: value of store.allow_http must be true or false");
	expect_error("[store]\nallow_http = 1\n", "test.conf:2: value of store.allow_http must be true or false");
	expect_error("[store]\nallow_http =\n", "test.conf:2: value of store.allow_http must be true or false");
	/* the S3 keys belong to [store] only */
	expect_error("[sandbox]\nendpoint = https://x\n", "test.conf:2: unknown key 'endpoint' in section [sandbox]");
	expect_error("region = us-east-1\n", "test.conf:1: unknown key 'region' in section [(none)]");
	/* secrets are not configuration: only the credentials file's name is */
	expect_error("[store]\naws_secret_access_key = x\n",
		     "test.conf:2: unknown key 'aws_secret_access_key' in section [store]");
	expect_error("[store]\nendpoint = http://a\x01\n", "test.conf:2: value of store.endpoint contains a control character");
	/* lengths */
	char text[8192];
	char *v = repeat('r', RP_CONFIG_REGION_MAX + 1);
	snprintf(text, sizeof text, "[store]\nregion = %s\n", v);
	expect_error(text, "test.conf:2: value of store.region is too long (max 63 bytes)");
	free(v);
	v = repeat('e', RP_CONFIG_ENDPOINT_MAX + 1);
	snprintf(text, sizeof text, "[store]\nendpoint = %s\n", v);
	expect_error(text, "test.conf:2: value of store.endpoint is too long (max 512 bytes)");
	free(v);
	v = repeat('f', RP_MAX_PATH_TOTAL + 1);
	snprintf(text, sizeof text, "[store]\ncredentials_file = %s\n", v);
	expect_error(text, "test.conf:2: value of store.credentials_file is too long (max 4096 bytes)");
	snprintf(text, sizeof text, "[store]\nca_file = %s\n", v);
	expect_error(text, "test.conf:2: value of store.ca_file is too long (max 4096 bytes)");
	free(v);
}

/* ---- rp_config_parse: refused files ------------------------------------- */

static void test_unknown_section(void **state)
{
	(void)state;
	expect_error("# c\n[store]\nuri = x\n\n[stor]\n", "test.conf:5: unknown section [stor]");
	expect_error("[]\n", "test.conf:1: unknown section []");
	expect_error("[Store]\n", "test.conf:1: unknown section [Store]");
}

static void test_malformed_section(void **state)
{
	(void)state;
	expect_error("[store\n", "test.conf:1: malformed section header");
	expect_error("\n\n[\n", "test.conf:3: malformed section header");
	char text[128];
	snprintf(text, sizeof text, "[%s]\n", "a-section-name-far-too-long-for-32");
	expect_error(text, "test.conf:1: malformed section header");
}

static void test_unknown_key(void **state)
{
	(void)state;
	expect_error("[store]\nurl = file:///x\n", "test.conf:2: unknown key 'url' in section [store]");
	expect_error("[sandbox]\nuri = file:///x\n", "test.conf:2: unknown key 'uri' in section [sandbox]");
	expect_error("uri = file:///x\n", "test.conf:1: unknown key 'uri' in section [(none)]");
	expect_error("[store]\n= x\n", "test.conf:2: missing or overlong key");
	char text[256];
	char *k = repeat('k', 64);
	snprintf(text, sizeof text, "[store]\n%s = x\n", k);
	expect_error(text, "test.conf:2: missing or overlong key");
	free(k);
}

static void test_missing_equals(void **state)
{
	(void)state;
	expect_error("[store]\nuri file:///x\n", "test.conf:2: expected key = value");
	expect_error("# one\n# two\n[sandbox]\n\nuser\n", "test.conf:5: expected key = value");
}

static void test_overlong_value(void **state)
{
	(void)state;
	rp_config c;
	char text[8192];
	char *v = repeat('u', sizeof c.store_uri);
	snprintf(text, sizeof text, "[store]\nuri = %s\n", v);
	expect_error(text, "test.conf:2: value of store.uri is too long (max 4111 bytes)");
	free(v);
	v = repeat('n', RP_MAX_ID_BYTES + 1);
	snprintf(text, sizeof text, "[sandbox]\n\nuser = %s\n", v);
	expect_error(text, "test.conf:3: value of sandbox.user is too long (max 255 bytes)");
	free(v);
}

static void test_control_character(void **state)
{
	(void)state;
	expect_error("[sandbox]\nuser = a\x01" "b\n", "test.conf:2: value of sandbox.user contains a control character");
	expect_error("[store]\nuri = a\tb\n", "test.conf:2: value of store.uri contains a control character");
	expect_error("[store]\nuri = \x1b[31mx\n", "test.conf:2: value of store.uri contains a control character");
	expect_error("[store]\nuri = a\rb\n", "test.conf:2: value of store.uri contains a control character");
	expect_error("[store]\nuri = a\x1f" "b\n", "test.conf:2: value of store.uri contains a control character");
	rp_config c;
	rp_err err;
	assert_int_equal(parse(&c, "[store]\nuri = a\x20~b\n", &err), 0);
	assert_string_equal(c.store_uri, "a ~b");
}

static void test_nul_byte(void **state)
{
	(void)state;
	static const char text[] = "[store]\nuri = a\0b\n";
	expect_error_n(text, sizeof text - 1, "test.conf:2: NUL byte");
	/* a NUL in a comment is just as bad */
	static const char text2[] = "# \0\n";
	expect_error_n(text2, sizeof text2 - 1, "test.conf:1: NUL byte");
}

static void test_size_limit(void **state)
{
	(void)state;
	rp_config c;
	rp_err err;
	char *text = repeat('#', RP_MAX_CONFIG_BYTES + 1);
	text[RP_MAX_CONFIG_BYTES - 1] = '\n';
	/* exactly RP_MAX_CONFIG_BYTES: one comment line */
	assert_int_equal(parse_n(&c, text, RP_MAX_CONFIG_BYTES, &err), 0);
	expect_error_n(text, RP_MAX_CONFIG_BYTES + 1, "test.conf: larger than 65536 bytes");
	free(text);
}

/* ---- rp_config_load ----------------------------------------------------- */

static void test_load_missing_file(void **state)
{
	char *dir = *state;
	char path[4200];
	snprintf(path, sizeof path, "%s/absent.conf", dir);
	rp_config c;
	rp_err err;
	rp_config_init(&c);
	rp_err_clear(&err);
	assert_int_equal(rp_config_load(&c, path, 0, &err), 0);
	assert_string_equal(c.store_uri, "");
	assert_int_equal(err.code, RP_OK);

	assert_int_equal(rp_config_load(&c, path, 1, &err), -1);
	assert_int_equal(err.code, RP_E_USAGE);
	char want[4400];
	snprintf(want, sizeof want, "cannot read configuration %s: No such file or directory", path);
	assert_string_equal(err.msg, want);
}

static void test_load_other_open_errors_even_if_optional(void **state)
{
	char *dir = *state;
	char file[4200], path[4300];
	snprintf(file, sizeof file, "%s/rpvault.conf", dir);
	write_file(file, "", 0);
	/* only ENOENT means "no configuration"; a path through a file is an error */
	snprintf(path, sizeof path, "%s/x.conf", file);
	rp_config c;
	rp_err err;
	rp_config_init(&c);
	rp_err_clear(&err);
	assert_int_equal(rp_config_load(&c, path, 0, &err), -1);
	assert_int_equal(err.code, RP_E_USAGE);
	char want[4500];
	snprintf(want, sizeof want, "cannot read configuration %s: Not a directory", path);
	assert_string_equal(err.msg, want);
}

static void test_load_file(void **state)
{
	char *dir = *state;
	char path[4200];
	snprintf(path, sizeof path, "%s/rpvault.conf", dir);
	const char *text = "[store]\nuri = file:///srv/rpvault\n[sandbox]\nuser = rpvault\n";
	write_file(path, text, strlen(text));
	rp_config c;
	rp_err err;
	rp_config_init(&c);
	rp_err_clear(&err);
	for (int required = 0; required <= 1; required++) {
		assert_int_equal(rp_config_load(&c, path, required, &err), 0);
		assert_string_equal(c.store_uri, "file:///srv/rpvault");
		assert_string_equal(c.sandbox_user, "rpvault");
	}
	/* errors name the file by the path it was loaded from */
	snprintf(path, sizeof path, "%s/bad.conf", dir);
	write_file(path, "[store]\nuri = x\n[bogus]\n", 24);
	assert_int_equal(rp_config_load(&c, path, 0, &err), -1);
	char want[4400];
	snprintf(want, sizeof want, "%s:3: unknown section [bogus]", path);
	assert_string_equal(err.msg, want);
}

static void test_load_oversized_file(void **state)
{
	char *dir = *state;
	char path[4200];
	snprintf(path, sizeof path, "%s/big.conf", dir);
	char *text = repeat('#', RP_MAX_CONFIG_BYTES + 100);
	write_file(path, text, RP_MAX_CONFIG_BYTES + 100);
	free(text);
	rp_config c;
	rp_err err;
	rp_config_init(&c);
	rp_err_clear(&err);
	assert_int_equal(rp_config_load(&c, path, 0, &err), -1);
	char want[4400];
	snprintf(want, sizeof want, "%s: larger than 65536 bytes", path);
	assert_string_equal(err.msg, want);
	/* exactly the limit is fine */
	text = repeat('#', RP_MAX_CONFIG_BYTES);
	write_file(path, text, RP_MAX_CONFIG_BYTES);
	free(text);
	assert_int_equal(rp_config_load(&c, path, 1, &err), 0);
}

static void test_load_directory(void **state)
{
	char *dir = *state;
	char path[4200];
	snprintf(path, sizeof path, "%s/sub", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	rp_config c;
	rp_err err;
	rp_config_init(&c);
	rp_err_clear(&err);
	/* not "missing": an error even when the file is optional */
	assert_int_equal(rp_config_load(&c, path, 0, &err), -1);
	assert_int_equal(err.code, RP_E_USAGE);
	char want[4400];
	snprintf(want, sizeof want, "cannot read configuration %s: Is a directory", path);
	assert_string_equal(err.msg, want);
}

#define TD(f) cmocka_unit_test_setup_teardown(f, setup_dir, teardown_dir)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_file),
		cmocka_unit_test(test_valid_variants),
		cmocka_unit_test(test_value_length_limits),
		cmocka_unit_test(test_store_s3_keys),
		cmocka_unit_test(test_store_s3_keys_refused),
		cmocka_unit_test(test_unknown_section),
		cmocka_unit_test(test_malformed_section),
		cmocka_unit_test(test_unknown_key),
		cmocka_unit_test(test_missing_equals),
		cmocka_unit_test(test_overlong_value),
		cmocka_unit_test(test_control_character),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_size_limit),
		TD(test_load_missing_file),
		TD(test_load_other_open_errors_even_if_optional),
		TD(test_load_file),
		TD(test_load_oversized_file),
		TD(test_load_directory),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
