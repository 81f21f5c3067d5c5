/*
 * test_s3conf.c - cmocka tests of src/broker/s3conf.c: the S3 store URI,
 * settings precedence and credentials.
 *
 * Why: these rules decide where rpvault sends data and with which keys;
 * Decision Gate's (normalize_prefix rows of
 * ../shared/spec/object_store_keys_expected.tsv, "endpoint uses http://
 * without allow_http") must hold whichever way a setting arrives, and no
 * secret may ever reach a message.
 * Security posture: test code; changes only its own environment and files
 * under a private mkdtemp directory (HOME points there, so the real
 * ~/.aws/credentials is never read).
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

#include "broker/s3conf.h"

#define SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define SECRET2 "s3cr3t+Two/FromTheFile0123456789abcdefgh"
#define TOKEN "FQoGZXIvYXdzEXAMPLETOKENvalue0123456789"

static char g_dir[4096];

static const char *const ENV_VARS[] = {
	"AWS_ENDPOINT_URL", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
	"AWS_SESSION_TOKEN", "AWS_SHARED_CREDENTIALS_FILE", "AWS_PROFILE", "AWS_CA_BUNDLE",
	"RPVAULT_S3_PATH_STYLE", "RPVAULT_S3_ALLOW_HTTP", "RPVAULT_S3_PARALLEL", "RPVAULT_S3_MAX_ATTEMPTS",
	"RPVAULT_S3_CONNECT_MS", "RPVAULT_S3_DEADLINE_MS",
};

static void clear_env(void)
{
	for (size_t i = 0; i < sizeof ENV_VARS / sizeof ENV_VARS[0]; i++)
		unsetenv(ENV_VARS[i]);
}

static void env_creds(void)
{
	setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", 1);
	setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
}

static int setup(void **state)
{
	(void)state;
	const char *tmp = getenv("TMPDIR");
	snprintf(g_dir, sizeof g_dir, "%s/rpvault-test-s3conf-XXXXXX", tmp != NULL && tmp[0] ? tmp : "/tmp");
	if (mkdtemp(g_dir) == NULL)
		return -1;
	clear_env();
	setenv("HOME", g_dir, 1);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[4200];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
	clear_env();
	return system(cmd) == 0 ? 0 : -1;
}

static void path_in(char *out, size_t cap, const char *name)
{
	snprintf(out, cap, "%s/%s", g_dir, name);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	unlink(path);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, mode), 0);
}

static int is_zero(const void *p, size_t n)
{
	const unsigned char *c = p;
	for (size_t i = 0; i < n; i++)
		if (c[i] != 0)
			return 0;
	return 1;
}

/* Resolves with creds pre-filled with garbage; on failure checks the wipe
 * and that no secret reached the message. */
static int resolve(const char *uri, const rp_s3_flags *fl, const rp_config *cfg, rp_s3_settings *set,
		   rp_s3_creds *cr, rp_err *err)
{
	memset(cr, 'A', sizeof *cr);
	rp_err_clear(err);
	int rc = rp_s3_resolve(uri, fl, cfg, set, cr, err);
	if (rc != 0) {
		assert_int_equal(rc, -1);
		assert_true(is_zero(cr, sizeof *cr));
		assert_null(strstr(err->msg, SECRET));
		assert_null(strstr(err->msg, SECRET2));
		assert_null(strstr(err->msg, TOKEN));
		assert_null(strstr(err->msg, "hunter2"));
	}
	return rc;
}

static void ok_uri(const char *uri, const char *bucket, const char *root, const char *canon)
{
	rp_s3_settings set;
	rp_s3_creds cr;
	rp_err err;
	if (resolve(uri, NULL, NULL, &set, &cr, &err) != 0)
		fail_msg("%s refused: %s", uri, err.msg);
	assert_string_equal(set.bucket, bucket);
	assert_string_equal(set.root_prefix, root);
	assert_string_equal(set.uri, canon);
	rp_s3_creds_wipe(&cr);
}

/* Refused with RP_E_USAGE and a message containing want. */
static void bad_uri_fl(const char *uri, const rp_s3_flags *fl, const char *want)
{
	rp_s3_settings set;
	rp_s3_creds cr;
	rp_err err;
	if (resolve(uri, fl, NULL, &set, &cr, &err) == 0)
		fail_msg("%s accepted; expected '%s'", uri, want);
	assert_int_equal(err.code, RP_E_USAGE);
	if (strstr(err.msg, want) == NULL)
		fail_msg("%s: message '%s' lacks '%s'", uri, err.msg, want);
}

static void bad_uri(const char *uri, const char *want)
{
	bad_uri_fl(uri, NULL, want);
}

static const rp_s3_flags PATH_STYLE = { NULL, NULL, 1, -1, NULL, NULL };

/* ---- the URI ----------------------------------------------------------------------- */

static void test_uri_forms(void **state)
{
	(void)state;
	env_creds();
	assert_true(rp_s3_uri_is_s3("s3://b"));
	assert_false(rp_s3_uri_is_s3("file:///x"));
	assert_false(rp_s3_uri_is_s3("S3://b"));
	assert_false(rp_s3_uri_is_s3(NULL));
	ok_uri("s3://bucket", "bucket", "", "s3://bucket");
	ok_uri("s3://bucket/", "bucket", "", "s3://bucket");
	ok_uri("s3://bucket/prefix", "bucket", "prefix/", "s3://bucket/prefix");
	ok_uri("s3://bucket/prefix/", "bucket", "prefix/", "s3://bucket/prefix");
	ok_uri("s3://bucket/a/b/", "bucket", "a/b/", "s3://bucket/a/b");
	ok_uri("s3://my.bucket-01/dg/runpacks", "my.bucket-01", "dg/runpacks/", "s3://my.bucket-01/dg/runpacks");
	ok_uri("s3://caf/d\xc3\xa9p\xc3\xb4t", "caf", "d\xc3\xa9p\xc3\xb4t/", "s3://caf/d\xc3\xa9p\xc3\xb4t");
}

static void test_uri_refused(void **state)
{
	(void)state;
	env_creds();
	bad_uri("s3://", "no bucket name");
	bad_uri("s3:///x", "no bucket name");
	bad_uri("file:///srv/store", "not an s3:// store URI");
	bad_uri("s3://ab", "invalid bucket name 'ab': must be 3 to 63 characters");
	char u[128];
	snprintf(u, sizeof u, "s3://%0*d", 64, 0);
	bad_uri(u, "must be 3 to 63 characters");
	snprintf(u, sizeof u, "s3://a%0*d", 62, 0); /* exactly 63 */
	ok_uri(u, u + 5, "", u);
	bad_uri("s3://Bucket", "invalid bucket name 'Bucket': only a-z 0-9 . -");
	bad_uri("s3://bu_cket", "only a-z 0-9 . -");
	bad_uri("s3://-bucket", "must start and end with a letter or digit");
	bad_uri("s3://bucket-", "must start and end with a letter or digit");
	bad_uri("s3://.bucket", "must start and end with a letter or digit");
	bad_uri("s3://a..b", "'..' is not allowed");
	bad_uri("s3://192.168.1.10", "must not look like an IP address");
	bad_uri("s3://buc ket/x", "only a-z 0-9 . -");
	bad_uri("s3://bucket/x?region=eu-west-1", "must not contain '?' or '#'");
	bad_uri("s3://bucket/x#frag", "must not contain '?' or '#'");
	bad_uri("s3://bucket/a\nb", "control character");
	/* user information is refused and not echoed */
	bad_uri("s3://AKID:hunter2@bucket/x", "must not contain user information");
	/* path style allows upper case and '_' (RGW does) */
	rp_s3_settings set;
	rp_s3_creds cr;
	rp_err err;
	assert_int_equal(resolve("s3://My_Bucket/x", &PATH_STYLE, NULL, &set, &cr, &err), 0);
	assert_string_equal(set.bucket, "My_Bucket");
	assert_int_equal(set.path_style, 1);
	bad_uri_fl("s3://My_Bucket!/x", &PATH_STYLE, "only a-z A-Z 0-9 . - _");
	bad_uri_fl("s3://_bucket", &PATH_STYLE, "must start and end with a letter or digit");
}

/* normalize_prefix rows of object_store_keys_expected.tsv (input, "OK"
 * root prefix or the error message). */
static void test_prefix_decision_gate_rows(void **state)
{
	(void)state;
	env_creds();
	static const struct {
		const char *in, *root, *errmsg;
	} rows[] = {
		{ "", "", NULL },
		{ "   ", "", NULL },
		{ "root", "root/", NULL },
		{ "root/", "root/", NULL },
		{ " root/ ", "root/", NULL },
		{ "a/b/c/", "a/b/c/", NULL },
		{ "/lead", NULL, "object store invalid: prefix must be relative (no leading slash)" },
		{ "a\\b", NULL, "object store invalid: path must not contain backslashes" },
		{ "../x", NULL, "object store invalid: path must be relative without traversal" },
		{ "a/../b", NULL, "object store invalid: path must be relative without traversal" },
		{ "./a", NULL, "object store invalid: path must be relative without traversal" },
		{ "a/./b", "a/./b/", NULL },
		{ "a//b", "a//b/", NULL },
		{ "a/.", "a/./", NULL },
		{ "root//", "root//", NULL },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		char uri[256];
		snprintf(uri, sizeof uri, "s3://bucket/%s", rows[i].in);
		rp_s3_settings set;
		rp_s3_creds cr;
		rp_err err;
		int rc = resolve(uri, NULL, NULL, &set, &cr, &err);
		if (rows[i].root != NULL) {
			if (rc != 0)
				fail_msg("row %zu '%s' refused: %s", i, rows[i].in, err.msg);
			assert_string_equal(set.root_prefix, rows[i].root);
			/* canonical URI: the prefix without its trailing '/' */
			char want[256];
			size_t rl = strlen(rows[i].root);
			snprintf(want, sizeof want, "s3://bucket%s%.*s", rl ? "/" : "", (int)(rl ? rl - 1 : 0), rows[i].root);
			assert_string_equal(set.uri, want);
		} else {
			if (rc == 0)
				fail_msg("row %zu '%s' accepted", i, rows[i].in);
			assert_int_equal(err.code, RP_E_USAGE);
			char want[256];
			snprintf(want, sizeof want, "store URI prefix: %s", rows[i].errmsg);
			assert_string_equal(err.msg, want);
		}
	}
}

/* ---- settings precedence -------------------------------------------------------------- */

static void test_endpoint_precedence(void **state)
{
	(void)state;
	env_creds();
	rp_s3_settings set;
	rp_s3_creds cr;
	rp_err err;
	rp_config cfg;
	rp_config_init(&cfg);
	/* default: AWS for the region */
	assert_int_equal(resolve("s3://bucket", NULL, &cfg, &set, &cr, &err), 0);
	assert_string_equal(set.endpoint, "https://s3.us-east-1.amazonaws.com");
	assert_string_equal(set.region, "us-east-1");
	assert_int_equal(set.path_style, 0);
	assert_int_equal(set.allow_http, 0);
	assert_string_equal(set.ca_file, "");
	snprintf(cfg.store_region, sizeof cfg.store_region, "eu-west-1");
	assert_int_equal(resolve("s3://bucket", NULL, &cfg, &set, &cr, &err), 0);
	assert_string_equal(set.endpoint, "https://s3.eu-west-1.amazonaws.com");
	/* config < env < flag */
	snprintf(cfg.store_endpoint, sizeof cfg.store_endpoint, "https://conf.example");
	assert_int_equal(resolve("s3://bucket", NULL, &cfg, &set, &cr, &err), 0);
	assert_string_equal(set.endpoint, "https://conf.example");
	setenv("AWS_ENDPOINT_URL", "https://env.example:9000/", 1);
	assert_int_equal(resolve("s3://bucket", NULL, &cfg, &set, &cr, &err), 0);
	assert_string_equal(set.endpoint, "https://env.example:9000");
	rp_s3_flags fl = { "https://flag.example", NULL, -1, -1, NULL, NULL };
	assert_int_equal(resolve("s3://bucket", &fl, &cfg, &set, &cr, &err), 0);
	assert_string_equal(set.endpoint, "https://flag.example");
	/* an empty variable is unset */
	setenv("AWS_ENDPOINT_URL", "", 1);
	assert_int_equal(resolve("s3://bucket", NULL, &cfg, &set, &cr, &err), 0);
	assert_string_equal(set.endpoint, "https://conf.example");
}

static void test_region_precedence(void **state)
{
	(void)state;
	env_creds();
	rp_s3_settings set;
	rp_s3_creds cr;
	rp_err err;
	rp_config cfg;
	rp_config_init(&cfg);
	snprintf(cfg.store_region, sizeof cfg.store_region, "eu-central-1");
	assert_int_equal(resolve("s3://bucket", NULL, &cfg, &set, &cr, &err), 0);
	assert_string_equal(set.region, "eu-central-1");
	setenv("AWS_DEFAULT_REGION", "ap-south-1", 1);
	assert_int_equal(resolve("s3://bucket", NULL, &cfg, &set, &cr, &err), 0);
	assert_string_equal(set.region, "ap-south-1");
	setenv("AWS_REGION", "us-west-2", 1);
	assert_int_equal(resolve("s3://bucket", NULL, &cfg, &set, &cr, &err), 0);
	assert_string_equal(set.region, "us-west-2");
	assert_string_equal(set.endpoint, "https://s3.us-west-2.amazonaws.com");
	rp_s3_flags fl = { NULL, "sa-east-1", -1, -1, NULL, NULL };
	assert_int_equal(resolve("s3://bucket", &fl, &cfg, &set, &cr, &err), 0);
	assert_string_equal(set.region, "sa-east-1");
	setenv("AWS_REGION", "US_EAST", 1);
	bad_uri("s3://bucket", "invalid region 'US_EAST' (from AWS_REGION)");
}

static void test_bool_precedence(void **state)
{
	(void)state;
	env_creds();
	rp_s3_settings set;
	rp_s3_creds cr;
	rp_err err;
	rp_config cfg;
	rp_config_init(&cfg);
	cfg.store_path_style = 1;
	cfg.store_allow_http = 1;
	assert_int_equal(resolve("s3://bucket", NULL, &cfg, &set, &cr, &err), 0);
	assert_int_equal(set.path_style, 1);
	assert_int_equal(set.allow_http, 1);
	/* the environment beats the configuration, both ways */
	setenv("RPVAULT_S3_PATH_STYLE", "false", 1);
	setenv("RPVAULT_S3_ALLOW_HTTP", "0", 1);
	assert_int_equal(resolve("s3://bucket", NULL, &cfg, &set, &cr, &err), 0);
	assert_int_equal(set.path_style, 0);
	assert_int_equal(set.allow_http, 0);
	/* the flag beats the environment */
	rp_s3_flags fl = { NULL, NULL, 1, 1, NULL, NULL };
	assert_int_equal(resolve("s3://bucket", &fl, &cfg, &set, &cr, &err), 0);
	assert_int_equal(set.path_style, 1);
	assert_int_equal(set.allow_http, 1);
	cfg.store_path_style = 0;
	setenv("RPVAULT_S3_PATH_STYLE", "true", 1);
	assert_int_equal(resolve("s3://bucket", NULL, &cfg, &set, &cr, &err), 0);
	assert_int_equal(set.path_style, 1);
	setenv("RPVAULT_S3_PATH_STYLE", "yes", 1);
	bad_uri("s3://bucket", "RPVAULT_S3_PATH_STYLE must be true or false");
}

static void test_http_needs_allow_http(void **state)
{
	(void)state;
	env_creds();
	rp_s3_settings set;
	rp_s3_creds cr;
	rp_err err;
	rp_config cfg;
	rp_config_init(&cfg);
	rp_s3_flags fl = { "http://127.0.0.1:7480", NULL, 1, -1, NULL, NULL };
	bad_uri_fl("s3://bucket", &fl, "endpoint uses http:// without allow_http");
	bad_uri_fl("s3://bucket", &fl, "from --endpoint");
	setenv("AWS_ENDPOINT_URL", "http://minio.local:9000", 1);
	bad_uri_fl("s3://bucket", NULL, "endpoint uses http:// without allow_http (http://minio.local:9000 from AWS_ENDPOINT_URL");
	/* allowed by the flag, the environment or the configuration */
	fl.allow_http = 1;
	assert_int_equal(resolve("s3://bucket", &fl, NULL, &set, &cr, &err), 0);
	assert_string_equal(set.endpoint, "http://127.0.0.1:7480");
	setenv("RPVAULT_S3_ALLOW_HTTP", "true", 1);
	assert_int_equal(resolve("s3://bucket", NULL, NULL, &set, &cr, &err), 0);
	assert_string_equal(set.endpoint, "http://minio.local:9000");
	unsetenv("RPVAULT_S3_ALLOW_HTTP");
	cfg.store_allow_http = 1;
	assert_int_equal(resolve("s3://bucket", NULL, &cfg, &set, &cr, &err), 0);
	/* https never needs it */
	setenv("AWS_ENDPOINT_URL", "https://minio.local:9000", 1);
	assert_int_equal(resolve("s3://bucket", NULL, NULL, &set, &cr, &err), 0);
}

static void endpoint_bad(const char *ep, const char *want)
{
	setenv("AWS_ENDPOINT_URL", ep, 1);
	bad_uri_fl("s3://bucket", &PATH_STYLE, want);
}

static void test_endpoint_shape(void **state)
{
	(void)state;
	env_creds();
	setenv("RPVAULT_S3_ALLOW_HTTP", "true", 1);
	endpoint_bad("s3.amazonaws.com", "endpoint must include http:// or https:// (s3.amazonaws.com from AWS_ENDPOINT_URL)");
	endpoint_bad("ftp://host", "endpoint must include http:// or https://");
	endpoint_bad("HTTPS://host", "endpoint must include http:// or https://");
	endpoint_bad("https://host/path", "must have no path, query or fragment");
	endpoint_bad("https://host//", "must have no path, query or fragment"); /* one trailing '/' is dropped, not two */
	endpoint_bad("https:///", "invalid host or port");
	endpoint_bad("https://host?x=1", "must have no path, query or fragment");
	endpoint_bad("https://host#f", "must have no path, query or fragment");
	endpoint_bad("https://user:hunter2@host", "endpoint must not contain user information");
	endpoint_bad("https://", "invalid host or port");
	endpoint_bad("https://host:0", "invalid host or port");
	endpoint_bad("https://host:65536", "invalid host or port");
	endpoint_bad("https://host:", "invalid host or port");
	endpoint_bad("https://host:80a", "invalid host or port");
	endpoint_bad("https://ho st", "invalid host or port");
	endpoint_bad("https://[::1", "invalid host or port");
	endpoint_bad("https://-host", "invalid host or port");
	char lng[700];
	snprintf(lng, sizeof lng, "https://%0*d.example", 600, 0);
	endpoint_bad(lng, "endpoint is longer than 512 bytes (from AWS_ENDPOINT_URL)");
	rp_s3_settings set;
	rp_s3_creds cr;
	rp_err err;
	const char *good[] = { "https://s3.example.com", "http://127.0.0.1:7480", "https://[::1]:9000",
			       "https://s3.example.com:443/" };
	const char *want[] = { "https://s3.example.com", "http://127.0.0.1:7480", "https://[::1]:9000",
			       "https://s3.example.com:443" };
	for (size_t i = 0; i < 4; i++) {
		setenv("AWS_ENDPOINT_URL", good[i], 1);
		if (resolve("s3://bucket", &PATH_STYLE, NULL, &set, &cr, &err) != 0)
			fail_msg("%s refused: %s", good[i], err.msg);
		assert_string_equal(set.endpoint, want[i]);
	}
	/* virtual-hosted style puts the bucket into the host: no IP address */
	setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:7480", 1);
	bad_uri("s3://bucket", "is an IP address: virtual-hosted addressing needs a host name");
	setenv("AWS_ENDPOINT_URL", "https://[::1]:9000", 1);
	bad_uri("s3://bucket", "is an IP address");
	setenv("AWS_ENDPOINT_URL", "https://s3.example.com", 1);
	assert_int_equal(resolve("s3://bucket", NULL, NULL, &set, &cr, &err), 0);
	assert_int_equal(set.path_style, 0);
}

static void test_tuning(void **state)
{
	(void)state;
	env_creds();
	rp_s3_settings set;
	rp_s3_creds cr;
	rp_err err;
	assert_int_equal(resolve("s3://bucket", NULL, NULL, &set, &cr, &err), 0);
	assert_int_equal(set.parallel, RP_S3_DEFAULT_PARALLEL);
	assert_int_equal(set.max_attempts, RP_S3_DEFAULT_ATTEMPTS);
	assert_int_equal(set.connect_ms, RP_S3_DEFAULT_CONNECT_MS);
	assert_int_equal(set.deadline_ms, RP_S3_DEFAULT_DEADLINE_MS);
	setenv("RPVAULT_S3_PARALLEL", "4", 1);
	setenv("RPVAULT_S3_MAX_ATTEMPTS", "2", 1);
	setenv("RPVAULT_S3_CONNECT_MS", "250", 1);
	setenv("RPVAULT_S3_DEADLINE_MS", "1500", 1);
	assert_int_equal(resolve("s3://bucket", NULL, NULL, &set, &cr, &err), 0);
	assert_int_equal(set.parallel, 4);
	assert_int_equal(set.max_attempts, 2);
	assert_int_equal(set.connect_ms, 250);
	assert_int_equal(set.deadline_ms, 1500);
	setenv("RPVAULT_S3_PARALLEL", "65", 1);
	bad_uri("s3://bucket", "RPVAULT_S3_PARALLEL must be a number from 1 to 64");
	setenv("RPVAULT_S3_PARALLEL", "0", 1);
	bad_uri("s3://bucket", "RPVAULT_S3_PARALLEL must be a number from 1 to 64");
	setenv("RPVAULT_S3_PARALLEL", "8x", 1);
	bad_uri("s3://bucket", "RPVAULT_S3_PARALLEL");
	setenv("RPVAULT_S3_PARALLEL", "99999999999999999999", 1);
	bad_uri("s3://bucket", "RPVAULT_S3_PARALLEL");
	unsetenv("RPVAULT_S3_PARALLEL");
	setenv("RPVAULT_S3_MAX_ATTEMPTS", "0", 1);
	bad_uri("s3://bucket", "RPVAULT_S3_MAX_ATTEMPTS must be a number from 1 to 20");
}

static void test_ca_file(void **state)
{
	(void)state;
	env_creds();
	char ca[4200];
	path_in(ca, sizeof ca, "ca.pem");
	write_file(ca, "-----BEGIN CERTIFICATE-----\n", 0644);
	rp_s3_settings set;
	rp_s3_creds cr;
	rp_err err;
	rp_s3_flags fl = { NULL, NULL, -1, -1, ca, NULL };
	assert_int_equal(resolve("s3://bucket", &fl, NULL, &set, &cr, &err), 0);
	assert_string_equal(set.ca_file, ca);
	setenv("AWS_CA_BUNDLE", "/nonexistent/ca.pem", 1);
	bad_uri("s3://bucket", "CA file /nonexistent/ca.pem (from AWS_CA_BUNDLE): No such file or directory");
	setenv("AWS_CA_BUNDLE", g_dir, 1);
	bad_uri("s3://bucket", "not a regular file");
}

/* ---- credentials ------------------------------------------------------------------------- */

static void test_creds_from_env(void **state)
{
	(void)state;
	rp_s3_settings set;
	rp_s3_creds cr;
	rp_err err;
	env_creds();
	assert_int_equal(resolve("s3://bucket", NULL, NULL, &set, &cr, &err), 0);
	assert_string_equal(cr.access_key, "AKIDEXAMPLE");
	assert_string_equal(cr.secret, SECRET);
	assert_string_equal(cr.token, "");
	assert_string_equal(set.credentials_source, "environment");
	setenv("AWS_SESSION_TOKEN", TOKEN, 1);
	assert_int_equal(resolve("s3://bucket", NULL, NULL, &set, &cr, &err), 0);
	assert_string_equal(cr.token, TOKEN);
	rp_s3_creds_wipe(&cr);
	assert_true(is_zero(&cr, sizeof cr));
	/* one without the other */
	unsetenv("AWS_SECRET_ACCESS_KEY");
	bad_uri("s3://bucket", "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
	env_creds();
	unsetenv("AWS_ACCESS_KEY_ID");
	bad_uri("s3://bucket", "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not");
	/* a bad value is named, not shown */
	setenv("AWS_ACCESS_KEY_ID", "AKID", 1);
	setenv("AWS_SECRET_ACCESS_KEY", SECRET " hunter2", 1);
	bad_uri("s3://bucket", "AWS_SECRET_ACCESS_KEY contains a byte that is not printable ASCII");
	/* nothing anywhere: HOME has no .aws/credentials */
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	bad_uri("s3://bucket", "no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
	bad_uri("s3://bucket", "/.aws/credentials)");
}

static const char CREDS_FILE[] = "# shared with the aws cli\n"
				 "[default]\n"
				 "aws_access_key_id = AKIDDEFAULT\n"
				 "aws_secret_access_key = " SECRET2 "\n"
				 "region = eu-west-1\n"
				 "\n"
				 "[ops]\n"
				 "aws_access_key_id=AKIDOPS\n"
				 "aws_secret_access_key=" SECRET "\n"
				 "aws_session_token = " TOKEN "\r\n"
				 "[nosecret]\n"
				 "aws_access_key_id = AKIDX\n"
				 "; comment\n";

static void test_creds_file_profiles(void **state)
{
	(void)state;
	char f[4200];
	path_in(f, sizeof f, "credentials");
	write_file(f, CREDS_FILE, 0600);
	setenv("AWS_SHARED_CREDENTIALS_FILE", f, 1);
	rp_s3_settings set;
	rp_s3_creds cr;
	rp_err err;
	assert_int_equal(resolve("s3://bucket", NULL, NULL, &set, &cr, &err), 0);
	assert_string_equal(cr.access_key, "AKIDDEFAULT");
	assert_string_equal(cr.secret, SECRET2);
	assert_string_equal(cr.token, "");
	char want[4400];
	snprintf(want, sizeof want, "file %s profile default", f);
	assert_string_equal(set.credentials_source, want);
	setenv("AWS_PROFILE", "ops", 1);
	assert_int_equal(resolve("s3://bucket", NULL, NULL, &set, &cr, &err), 0);
	assert_string_equal(cr.access_key, "AKIDOPS");
	assert_string_equal(cr.secret, SECRET);
	assert_string_equal(cr.token, TOKEN);
	setenv("AWS_PROFILE", "nosecret", 1);
	bad_uri("s3://bucket", "profile [nosecret] has no aws_secret_access_key");
	setenv("AWS_PROFILE", "absent", 1);
	bad_uri("s3://bucket", "has no profile [absent]");
	setenv("AWS_PROFILE", "a b", 1);
	bad_uri("s3://bucket", "AWS_PROFILE must be");
	unsetenv("AWS_PROFILE");
	/* the environment's keys beat a file named by the environment ... */
	env_creds();
	assert_int_equal(resolve("s3://bucket", NULL, NULL, &set, &cr, &err), 0);
	assert_string_equal(cr.access_key, "AKIDEXAMPLE");
	/* ... but --credentials-file beats the environment's keys */
	rp_s3_flags fl = { NULL, NULL, -1, -1, NULL, f };
	assert_int_equal(resolve("s3://bucket", &fl, NULL, &set, &cr, &err), 0);
	assert_string_equal(cr.access_key, "AKIDDEFAULT");
	snprintf(want, sizeof want, "file %s profile default", f);
	assert_string_equal(set.credentials_source, want);
	rp_s3_creds_wipe(&cr);
}

static void test_creds_file_sources(void **state)
{
	(void)state;
	char f1[4200], f2[4200], aws[4200], f3[4200];
	path_in(f1, sizeof f1, "one");
	path_in(f2, sizeof f2, "two");
	path_in(aws, sizeof aws, ".aws");
	path_in(f3, sizeof f3, ".aws/credentials");
	write_file(f1, "[default]\naws_access_key_id=AKIDONE\naws_secret_access_key=x1\n", 0600);
	write_file(f2, "[default]\naws_access_key_id=AKIDTWO\naws_secret_access_key=x2\n", 0400);
	assert_int_equal(mkdir(aws, 0700), 0);
	write_file(f3, "[default]\naws_access_key_id=AKIDHOME\naws_secret_access_key=x3\n", 0600);
	rp_s3_settings set;
	rp_s3_creds cr;
	rp_err err;
	rp_config cfg;
	rp_config_init(&cfg);
	/* ~/.aws/credentials by default */
	assert_int_equal(resolve("s3://bucket", NULL, &cfg, &set, &cr, &err), 0);
	assert_string_equal(cr.access_key, "AKIDHOME");
	/* the configuration's file beats it, the environment's beats that */
	snprintf(cfg.store_credentials_file, sizeof cfg.store_credentials_file, "%s", f2);
	assert_int_equal(resolve("s3://bucket", NULL, &cfg, &set, &cr, &err), 0);
	assert_string_equal(cr.access_key, "AKIDTWO");
	setenv("AWS_SHARED_CREDENTIALS_FILE", f1, 1);
	assert_int_equal(resolve("s3://bucket", NULL, &cfg, &set, &cr, &err), 0);
	assert_string_equal(cr.access_key, "AKIDONE");
	rp_s3_creds_wipe(&cr);
}

static void test_creds_file_refused(void **state)
{
	(void)state;
	char f[4200], link[4200], big[4200];
	path_in(f, sizeof f, "credentials");
	path_in(link, sizeof link, "link");
	path_in(big, sizeof big, "big");
	write_file(f, CREDS_FILE, 0644);
	rp_s3_flags fl = { NULL, NULL, -1, -1, NULL, f };
	char want[4400];
	snprintf(want, sizeof want, "credentials file %s: mode 0644, must not be readable by group or others", f);
	bad_uri_fl("s3://bucket", &fl, want);
	assert_int_equal(chmod(f, 0640), 0);
	bad_uri_fl("s3://bucket", &fl, "mode 0640");
	assert_int_equal(chmod(f, 0602), 0);
	bad_uri_fl("s3://bucket", &fl, "mode 0602");
	assert_int_equal(chmod(f, 0600), 0);
	rp_s3_settings set;
	rp_s3_creds cr;
	rp_err err;
	assert_int_equal(resolve("s3://bucket", &fl, NULL, &set, &cr, &err), 0);
	/* a symbolic link to a good file is still refused */
	assert_int_equal(symlink(f, link), 0);
	rp_s3_flags fl2 = { NULL, NULL, -1, -1, NULL, link };
	bad_uri_fl("s3://bucket", &fl2, "is a symbolic link");
	/* a directory, a missing file */
	rp_s3_flags fl3 = { NULL, NULL, -1, -1, NULL, g_dir };
	bad_uri_fl("s3://bucket", &fl3, "is not a regular file");
	rp_s3_flags fl4 = { NULL, NULL, -1, -1, NULL, "/nonexistent/credentials" };
	bad_uri_fl("s3://bucket", &fl4, "cannot open credentials file /nonexistent/credentials (from --credentials-file)");
	/* bounded size */
	char *text = malloc(70 * 1024);
	assert_non_null(text);
	memset(text, '#', 70 * 1024 - 1);
	text[70 * 1024 - 1] = '\0';
	write_file(big, text, 0600);
	free(text);
	rp_s3_flags fl5 = { NULL, NULL, -1, -1, NULL, big };
	bad_uri_fl("s3://bucket", &fl5, "is larger than 65536 bytes");
	/* owned by someone else (only root can arrange that here) */
	if (geteuid() == 0) {
		assert_int_equal(chown(f, 65534, 65534), 0);
		bad_uri_fl("s3://bucket", &fl, "is owned by uid 65534, not by the caller (uid 0)");
	}
}

static void test_creds_file_bad_values(void **state)
{
	(void)state;
	char f[4200];
	path_in(f, sizeof f, "credentials");
	rp_s3_flags fl = { NULL, NULL, -1, -1, NULL, f };
	/* a value with a space: named by line and key, never shown */
	write_file(f, "[default]\naws_access_key_id = AKID\naws_secret_access_key = " SECRET " hunter2\n", 0600);
	bad_uri_fl("s3://bucket", &fl, "line 3: aws_secret_access_key contains a byte that is not printable ASCII");
	write_file(f, "[default]\naws_access_key_id = AKID\naws_secret_access_key =\n", 0600);
	bad_uri_fl("s3://bucket", &fl, "line 3: aws_secret_access_key is empty");
	write_file(f, "[default\naws_access_key_id = AKID\n", 0600);
	bad_uri_fl("s3://bucket", &fl, ":1: malformed section header");
	write_file(f, "[default]\naws_secret_access_key " SECRET "\n", 0600);
	bad_uri_fl("s3://bucket", &fl, ":2: expected key = value");
	write_file(f, "[default]\naws_secret_access_key = " SECRET "\n", 0600);
	bad_uri_fl("s3://bucket", &fl, "profile [default] has no aws_access_key_id");
	/* overlong secret */
	char text[1024];
	char longsecret[RP_SIGV4_SECRET_MAX + 2];
	memset(longsecret, 'k', sizeof longsecret - 1);
	longsecret[sizeof longsecret - 1] = '\0';
	snprintf(text, sizeof text, "[default]\naws_access_key_id=A\naws_secret_access_key=%s\n", longsecret);
	write_file(f, text, 0600);
	bad_uri_fl("s3://bucket", &fl, "aws_secret_access_key is longer than 128 bytes");
	/* lines of other profiles are not even looked at */
	write_file(f, "[other]\nthis line is not key value\n[default]\naws_access_key_id=A\naws_secret_access_key=B\n", 0600);
	rp_s3_settings set;
	rp_s3_creds cr;
	rp_err err;
	assert_int_equal(resolve("s3://bucket", &fl, NULL, &set, &cr, &err), 0);
	assert_string_equal(cr.secret, "B");
	rp_s3_creds_wipe(&cr);
}

/* A failure after the credentials were read (e.g. a bad URI) never
 * leaves them in the caller's struct, and the order of checks does not
 * matter. */
static void test_scrub_env(void **state)
{
	(void)state;
	setenv("AWS_SECRET_ACCESS_KEY", "SECRETSECRET", 1);
	setenv("AWS_SESSION_TOKEN", "TOKENTOKEN", 1);
	char *sk = getenv("AWS_SECRET_ACCESS_KEY");
	char *tk = getenv("AWS_SESSION_TOKEN");
	rp_s3_scrub_env();
	assert_null(getenv("AWS_SECRET_ACCESS_KEY"));
	assert_null(getenv("AWS_SESSION_TOKEN"));
	/* glibc never frees setenv strings: the old value memory is still
	 * readable and must have been wiped in place. */
	assert_int_equal(sk[0], 0);
	assert_int_equal(tk[0], 0);
	rp_s3_scrub_env(); /* nothing set: harmless */
}

static void test_creds_wiped_on_failure(void **state)
{
	(void)state;
	env_creds();
	setenv("AWS_SESSION_TOKEN", TOKEN, 1);
	rp_s3_settings set;
	rp_s3_creds cr;
	rp_err err;
	memset(&cr, 'Z', sizeof cr);
	assert_int_equal(rp_s3_resolve("s3://x", NULL, NULL, &set, &cr, &err), -1);
	assert_true(is_zero(&cr, sizeof cr));
	memset(&cr, 'Z', sizeof cr);
	assert_int_equal(rp_s3_resolve(NULL, NULL, NULL, &set, &cr, &err), -1);
	assert_true(is_zero(&cr, sizeof cr));
	assert_string_equal(err.msg, "no store URI");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_uri_forms),
		T(test_uri_refused),
		T(test_prefix_decision_gate_rows),
		T(test_endpoint_precedence),
		T(test_region_precedence),
		T(test_bool_precedence),
		T(test_http_needs_allow_http),
		T(test_endpoint_shape),
		T(test_tuning),
		T(test_ca_file),
		T(test_creds_from_env),
		T(test_creds_file_profiles),
		T(test_creds_file_sources),
		T(test_creds_file_refused),
		T(test_creds_file_bad_values),
		T(test_creds_wiped_on_failure),
		T(test_scrub_env),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
