/*
 * test_s3xml.c - cmocka tests of src/child/s3xml.c (S3 XML responses).
 *
 * Why: the reader parses bytes from the network inside the confined child;
 * it must read every real response shape rpvault meets and refuse
 * everything else with a typed error naming the element. The RGW_* bodies
 * below were captured byte for byte from Ceph RGW 16.2.15 (Debian 12,
 * tests/s3/rgw-start.sh) with tests/s3/s3probe (list-raw / get-raw); the
 * AWS-shaped ones follow the S3 API reference's examples (indented,
 * <Owner>, <CommonPrefixes>, self-closing <Prefix/>).
 * Security posture: test code; no I/O.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "child/s3xml.h"

/* ---- captured from RGW ----------------------------------------------------------- */

#define XMLDECL "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
#define NS "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\""
#define RGW_OBJ(k, etag, size, t)                                                                        \
	"<Contents><Key>" k "</Key><LastModified>2026-11-27T18:20:15." t "Z</LastModified><ETag>&quot;" etag \
	"&quot;</ETag><Size>" size "</Size><StorageClass>STANDARD</StorageClass><Type>Normal</Type></Contents>"

static const char RGW_LIST[] =
	XMLDECL "<ListBucketResult " NS "><Name>probe1</Name><Prefix></Prefix><MaxKeys>1000</MaxKeys>"
		"<IsTruncated>false</IsTruncated>" RGW_OBJ(
			"dg/runpacks/tenant/1/namespace/7/scenario/caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac run/run "
			"1+2*3~4=5&amp;6?7#8%9/artifacts/decisions.json",
			"5756a4099fd5d590c80e06a32dc68f26", "30", "110")
			RGW_OBJ("page/obj 0 \xc3\xa9.json", "9dd4e461268c8034f5c8564e155c67a6", "1", "139")
				RGW_OBJ("page/obj 1 \xc3\xa9.json", "9dd4e461268c8034f5c8564e155c67a6", "1", "145")
					RGW_OBJ("page/obj 2 \xc3\xa9.json", "9dd4e461268c8034f5c8564e155c67a6", "1", "150")
						RGW_OBJ("page/obj 3 \xc3\xa9.json", "9dd4e461268c8034f5c8564e155c67a6", "1",
							"156")
							RGW_OBJ("page/obj 4 \xc3\xa9.json",
								"9dd4e461268c8034f5c8564e155c67a6", "1", "161")
								"<KeyCount>6</KeyCount></ListBucketResult>";

static const char RGW_LIST_TRUNCATED[] =
	XMLDECL "<ListBucketResult " NS "><Name>probe1</Name><Prefix>page/</Prefix><MaxKeys>2</MaxKeys>"
		"<IsTruncated>true</IsTruncated>" RGW_OBJ("page/obj 0 \xc3\xa9.json",
							  "9dd4e461268c8034f5c8564e155c67a6", "1", "139")
			RGW_OBJ("page/obj 1 \xc3\xa9.json", "9dd4e461268c8034f5c8564e155c67a6", "1", "145")
				"<NextContinuationToken>page/obj 1 \xc3\xa9.json</NextContinuationToken>"
				"<KeyCount>2</KeyCount></ListBucketResult>";

static const char RGW_LIST_EMPTY[] =
	XMLDECL "<ListBucketResult " NS "><Name>plain</Name><Prefix></Prefix><MaxKeys>1000</MaxKeys>"
		"<IsTruncated>false</IsTruncated><KeyCount>0</KeyCount></ListBucketResult>";

static const char RGW_ERR_SIG[] =
	XMLDECL "<Error><Code>SignatureDoesNotMatch</Code><Message></Message>"
		"<RequestId>tx00000db9a68fbfe5ebe96-006b09c9ee-1008-default</RequestId>"
		"<HostId>1008-default-default</HostId></Error>";

static const char RGW_ERR_NOBUCKET[] =
	XMLDECL "<Error><Code>NoSuchBucket</Code><Message></Message><BucketName>no-such-bucket</BucketName>"
		"<RequestId>tx00000937805208b537fb3-006b09c9ee-1008-default</RequestId>"
		"<HostId>1008-default-default</HostId></Error>";

static const char RGW_ERR_NOLOCK[] =
	XMLDECL "<Error><Code>ObjectLockConfigurationNotFoundError</Code><Message></Message>"
		"<BucketName>probe1</BucketName><RequestId>tx000001a43475504f37a28-006b09c9ee-1008-default</RequestId>"
		"<HostId>1008-default-default</HostId></Error>";

static const char RGW_VERS_ENABLED[] =
	XMLDECL "<VersioningConfiguration " NS "><Status>Enabled</Status><MfaDelete>Disabled</MfaDelete>"
		"</VersioningConfiguration>";

static const char RGW_VERS_NEVER[] = XMLDECL "<VersioningConfiguration " NS "></VersioningConfiguration>";

static const char RGW_LOCK[] =
	XMLDECL "<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention>"
		"<Mode>GOVERNANCE</Mode><Days>1</Days></DefaultRetention></Rule></ObjectLockConfiguration>";

/* ---- AWS-shaped ------------------------------------------------------------------- */

static const char AWS_LIST[] =
	"<?xml version='1.0' encoding='utf-8'?>\r\n"
	"<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\n"
	"  <Name>example-bucket</Name>\n"
	"  <Prefix/>\n"
	"  <KeyCount>3</KeyCount>\n"
	"  <MaxKeys>1000</MaxKeys>\n"
	"  <Delimiter>/</Delimiter>\n"
	"  <IsTruncated>false</IsTruncated>\n"
	"  <!-- a comment is skipped -->\n"
	"  <Contents>\n"
	"    <Key>sample.jpg</Key>\n"
	"    <LastModified>2011-02-26T01:56:20.000Z</LastModified>\n"
	"    <ETag>\"bf1d737a4d46a19f3bced6905cc8b902\"</ETag>\n"
	"    <Size>142863</Size>\n"
	"    <Owner>\n"
	"      <ID>canonical-user-id</ID>\n"
	"      <DisplayName>display-name</DisplayName>\n"
	"    </Owner>\n"
	"    <StorageClass>STANDARD</StorageClass>\n"
	"  </Contents>\n"
	"  <CommonPrefixes>\n"
	"    <Prefix>photos/</Prefix>\n"
	"  </CommonPrefixes>\n"
	"  <CommonPrefixes><Prefix>videos &amp; more/</Prefix></CommonPrefixes>\n"
	"</ListBucketResult>\n";

static const char AWS_ERROR[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
				"<Error>\n"
				"  <Code>NoSuchKey</Code>\n"
				"  <Message>The resource you requested does not exist</Message>\n"
				"  <Resource>/mybucket/myfoto.jpg</Resource>\n"
				"  <RequestId>4442587FB7D0A2F9</RequestId>\n"
				"</Error>";

/* ---- helpers ------------------------------------------------------------------------ */

static char g_arena[2 * RP_S3XML_MAX_INPUT + 16];
static rp_s3xml_list g_list;

static int plist(const char *xml, size_t len, rp_err *err)
{
	rp_s3xml_arena a;
	rp_s3xml_arena_init(&a, g_arena, sizeof g_arena);
	rp_err_clear(err);
	return rp_s3xml_parse_list(xml, len, &a, &g_list, err);
}

static void list_ok(const char *xml)
{
	rp_err err;
	if (plist(xml, strlen(xml), &err) != 0)
		fail_msg("parse_list: %s", err.msg);
}

/* Expects a refusal with code and a message containing want (if not NULL). */
static void list_fails_n(const char *xml, size_t len, rp_code code, const char *want)
{
	rp_err err;
	assert_int_equal(plist(xml, len, &err), -1);
	if (err.code != code || (want != NULL && strstr(err.msg, want) == NULL))
		fail_msg("want code %d and \"%s\", got code %d: %s", (int)code, want != NULL ? want : "", (int)err.code,
			 err.msg);
}

static void list_fails(const char *xml, rp_code code, const char *want)
{
	list_fails_n(xml, strlen(xml), code, want);
}

static void assert_str(rp_s3xml_str s, const char *want)
{
	assert_non_null(s.s);
	assert_int_equal(s.len, strlen(want));
	assert_memory_equal(s.s, want, s.len);
	assert_int_equal(s.s[s.len], '\0');
}

/* A listing wrapper around body (the Contents etc.), with IsTruncated. */
static char *wrap_list(const char *body)
{
	static char buf[1 << 16];
	snprintf(buf, sizeof buf, "<ListBucketResult><IsTruncated>false</IsTruncated>%s</ListBucketResult>", body);
	return buf;
}

/* ---- listings ------------------------------------------------------------------------ */

static void test_rgw_listing(void **state)
{
	(void)state;
	list_ok(RGW_LIST);
	assert_int_equal(g_list.n_objects, 6);
	assert_int_equal(g_list.n_prefixes, 0);
	assert_false(g_list.is_truncated);
	assert_true(g_list.has_key_count);
	assert_int_equal(g_list.key_count, 6);
	assert_str(g_list.name, "probe1");
	assert_str(g_list.prefix, "");
	assert_null(g_list.next_token.s);
	assert_str(g_list.objects[0].key, "dg/runpacks/tenant/1/namespace/7/scenario/caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac"
					  " run/run 1+2*3~4=5&6?7#8%9/artifacts/decisions.json");
	assert_int_equal(g_list.objects[0].size, 30);
	assert_str(g_list.objects[0].etag, "\"5756a4099fd5d590c80e06a32dc68f26\"");
	for (size_t i = 1; i < 6; i++) {
		char k[64];
		snprintf(k, sizeof k, "page/obj %zu \xc3\xa9.json", i - 1);
		assert_str(g_list.objects[i].key, k);
		assert_int_equal(g_list.objects[i].size, 1);
	}
}

static void test_rgw_listing_truncated_and_empty(void **state)
{
	(void)state;
	list_ok(RGW_LIST_TRUNCATED);
	assert_true(g_list.is_truncated);
	assert_int_equal(g_list.n_objects, 2);
	/* RGW's continuation token is the last key itself: spaces, UTF-8. */
	assert_str(g_list.next_token, "page/obj 1 \xc3\xa9.json");
	assert_str(g_list.prefix, "page/");
	list_ok(RGW_LIST_EMPTY);
	assert_int_equal(g_list.n_objects, 0);
	assert_int_equal(g_list.key_count, 0);
	assert_false(g_list.is_truncated);
}

static void test_aws_listing(void **state)
{
	(void)state;
	list_ok(AWS_LIST);
	assert_int_equal(g_list.n_objects, 1);
	assert_str(g_list.objects[0].key, "sample.jpg");
	assert_int_equal(g_list.objects[0].size, 142863);
	assert_str(g_list.objects[0].etag, "\"bf1d737a4d46a19f3bced6905cc8b902\"");
	assert_int_equal(g_list.n_prefixes, 2);
	assert_str(g_list.prefixes[0], "photos/");
	assert_str(g_list.prefixes[1], "videos & more/");
	assert_str(g_list.prefix, ""); /* <Prefix/> */
	assert_str(g_list.name, "example-bucket");
	/* Namespace prefixes on element names are tolerated. */
	list_ok("<s3:ListBucketResult xmlns:s3=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
		"<s3:IsTruncated>false</s3:IsTruncated><s3:Contents><s3:Key>a</s3:Key><s3:Size>0</s3:Size>"
		"</s3:Contents></s3:ListBucketResult>");
	assert_int_equal(g_list.n_objects, 1);
	assert_str(g_list.objects[0].key, "a");
	/* A UTF-8 byte order mark before the declaration is accepted. */
	list_ok("\xef\xbb\xbf<?xml version=\"1.0\"?><ListBucketResult><IsTruncated>true</IsTruncated>"
		"<NextContinuationToken>t</NextContinuationToken></ListBucketResult>");
	assert_true(g_list.is_truncated);
}

static void test_entities(void **state)
{
	(void)state;
	list_ok(wrap_list("<Contents><Key>&amp;&lt;&gt;&quot;&apos;&#65;&#x42;&#67;&#xe9;&#233;&#x65e5;&#x1F600;"
			  "&#x10FFFF;</Key><Size>1</Size></Contents>"));
	assert_str(g_list.objects[0].key,
		   "&<>\"'AB\x43\xc3\xa9\xc3\xa9\xe6\x97\xa5\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf");
	/* Tab, LF and CR are XML characters; attributes may hold entities. */
	list_ok("<ListBucketResult a=\"&amp;&#9;\" b='x'><IsTruncated>false</IsTruncated><Contents>"
		"<Key>a&#9;b&#10;c&#13;</Key><Size>0</Size></Contents></ListBucketResult>");
	assert_str(g_list.objects[0].key, "a\tb\nc\r");
}

static void test_list_values(void **state)
{
	(void)state;
	/* The largest size there is, and one past it. */
	list_ok(wrap_list("<Contents><Key>k</Key><Size>18446744073709551615</Size></Contents>"));
	assert_true(g_list.objects[0].size == UINT64_MAX);
	list_fails(wrap_list("<Contents><Key>k</Key><Size>18446744073709551616</Size></Contents>"), RP_E_PROTO,
		   "out of range in <Size>");
	list_fails(wrap_list("<Contents><Key>k</Key><Size>-1</Size></Contents>"), RP_E_PROTO, "in <Size>");
	list_fails(wrap_list("<Contents><Key>k</Key><Size> 1</Size></Contents>"), RP_E_PROTO, "in <Size>");
	list_fails(wrap_list("<Contents><Key>k</Key><Size></Size></Contents>"), RP_E_PROTO, "in <Size>");
	list_fails(wrap_list("<Contents><Key>k</Key></Contents>"), RP_E_PROTO, "no <Size> in <Contents>");
	list_fails(wrap_list("<Contents><Size>1</Size></Contents>"), RP_E_PROTO, "no <Key> in <Contents>");
	list_fails(wrap_list("<Contents><Key></Key><Size>1</Size></Contents>"), RP_E_PROTO, "empty key in <Key>");
	list_fails(wrap_list("<Contents><Key>a</Key><Key>b</Key><Size>1</Size></Contents>"), RP_E_PROTO,
		   "duplicate element in <Key>");
	list_fails(wrap_list("<Contents><Key>a</Key><Size>1</Size><Size>1</Size></Contents>"), RP_E_PROTO,
		   "duplicate element in <Size>");
	list_fails("<ListBucketResult><IsTruncated>yes</IsTruncated></ListBucketResult>", RP_E_PROTO,
		   "expected true or false in <IsTruncated>");
	list_fails("<ListBucketResult><IsTruncated>true</IsTruncated><IsTruncated>true</IsTruncated>"
		   "</ListBucketResult>",
		   RP_E_PROTO, "duplicate");
	list_fails("<ListBucketResult></ListBucketResult>", RP_E_PROTO, "no <IsTruncated>");
	list_fails("<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>", RP_E_PROTO,
		   "without a <NextContinuationToken>");
	list_fails("<ListBucketResult><IsTruncated>false</IsTruncated><KeyCount>2</KeyCount>"
		   "<Contents><Key>a</Key><Size>1</Size></Contents></ListBucketResult>",
		   RP_E_PROTO, "<KeyCount> is 2 but the page holds 1 entries");
	list_fails(wrap_list("<CommonPrefixes></CommonPrefixes>"), RP_E_PROTO, "no <Prefix> in <CommonPrefixes>");
	/* A leaf element we keep cannot hold elements; others may. */
	list_fails(wrap_list("<Contents><Key>a<b/></Key><Size>1</Size></Contents>"), RP_E_PROTO,
		   "unexpected element <b> in <Key>");
	list_ok(wrap_list("<Contents><Key>a</Key><Size>1</Size><Owner><ID><x>1</x></ID></Owner></Contents>"));
}

/* ---- other responses ----------------------------------------------------------------------- */

static void test_errors(void **state)
{
	(void)state;
	rp_s3xml_arena a;
	rp_s3xml_error e;
	rp_err err;
	rp_s3xml_arena_init(&a, g_arena, sizeof g_arena);
	assert_int_equal(rp_s3xml_parse_error(RGW_ERR_SIG, strlen(RGW_ERR_SIG), &a, &e, &err), 0);
	assert_str(e.code, "SignatureDoesNotMatch");
	assert_str(e.message, "");
	assert_str(e.request_id, "tx00000db9a68fbfe5ebe96-006b09c9ee-1008-default");
	assert_null(e.resource.s);
	assert_int_equal(rp_s3xml_parse_error(RGW_ERR_NOBUCKET, strlen(RGW_ERR_NOBUCKET), &a, &e, &err), 0);
	assert_str(e.code, "NoSuchBucket");
	assert_str(e.resource, "no-such-bucket");
	assert_int_equal(rp_s3xml_parse_error(RGW_ERR_NOLOCK, strlen(RGW_ERR_NOLOCK), &a, &e, &err), 0);
	assert_str(e.code, "ObjectLockConfigurationNotFoundError");
	assert_int_equal(rp_s3xml_parse_error(AWS_ERROR, strlen(AWS_ERROR), &a, &e, &err), 0);
	assert_str(e.code, "NoSuchKey");
	assert_str(e.message, "The resource you requested does not exist");
	assert_str(e.resource, "/mybucket/myfoto.jpg");
	assert_str(e.request_id, "4442587FB7D0A2F9");
	/* Refusals: no code, an empty code, two codes, another root. */
	static const char *bad[] = { "<Error><Message>m</Message></Error>", "<Error><Code></Code></Error>",
				     "<Error><Code>A</Code><Code>B</Code></Error>", RGW_LIST_EMPTY };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		rp_err_clear(&err);
		assert_int_equal(rp_s3xml_parse_error(bad[i], strlen(bad[i]), &a, &e, &err), -1);
		assert_int_equal(err.code, RP_E_PROTO);
	}
	assert_non_null(strstr(err.msg, "unexpected root element <ListBucketResult>, expected <Error>"));
}

static int vers(const char *xml, rp_s3xml_versioning *v, rp_err *err)
{
	rp_s3xml_arena a;
	rp_s3xml_arena_init(&a, g_arena, sizeof g_arena);
	rp_err_clear(err);
	return rp_s3xml_parse_versioning(xml, strlen(xml), &a, v, err);
}

static void test_versioning(void **state)
{
	(void)state;
	rp_s3xml_versioning v;
	rp_err err;
	assert_int_equal(vers(RGW_VERS_ENABLED, &v, &err), 0);
	assert_int_equal(v, RP_S3XML_VERSIONING_ENABLED);
	assert_int_equal(vers(RGW_VERS_NEVER, &v, &err), 0);
	assert_int_equal(v, RP_S3XML_VERSIONING_NEVER);
	assert_int_equal(vers("<VersioningConfiguration/>", &v, &err), 0);
	assert_int_equal(v, RP_S3XML_VERSIONING_NEVER);
	assert_int_equal(vers("<VersioningConfiguration><Status>Suspended</Status></VersioningConfiguration>", &v, &err), 0);
	assert_int_equal(v, RP_S3XML_VERSIONING_SUSPENDED);
	assert_int_equal(vers("<VersioningConfiguration><Status>On</Status></VersioningConfiguration>", &v, &err), -1);
	assert_non_null(strstr(err.msg, "expected Enabled or Suspended in <Status>"));
	assert_int_equal(vers("<VersioningConfiguration><Status>Enabled</Status><Status>Enabled</Status>"
			      "</VersioningConfiguration>",
			      &v, &err),
			 -1);
	assert_int_equal(vers("<Versioning/>", &v, &err), -1);
	assert_int_equal(err.code, RP_E_PROTO);
}

static int lock(const char *xml, rp_s3xml_object_lock *l, rp_err *err)
{
	rp_s3xml_arena a;
	rp_s3xml_arena_init(&a, g_arena, sizeof g_arena);
	rp_err_clear(err);
	return rp_s3xml_parse_object_lock(xml, strlen(xml), &a, l, err);
}

#define OLC(x) "<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled>" x "</ObjectLockConfiguration>"
#define RET(x) OLC("<Rule><DefaultRetention>" x "</DefaultRetention></Rule>")

static void test_object_lock(void **state)
{
	(void)state;
	rp_s3xml_object_lock l;
	rp_err err;
	assert_int_equal(lock(RGW_LOCK, &l, &err), 0);
	assert_true(l.enabled);
	assert_int_equal(l.mode, RP_S3XML_LOCK_GOVERNANCE);
	assert_int_equal(l.days, 1);
	assert_int_equal(l.years, 0);
	assert_int_equal(lock(OLC(""), &l, &err), 0);
	assert_true(l.enabled);
	assert_int_equal(l.mode, RP_S3XML_LOCK_NONE);
	assert_int_equal(lock(RET("<Mode>COMPLIANCE</Mode><Years>7</Years>"), &l, &err), 0);
	assert_int_equal(l.mode, RP_S3XML_LOCK_COMPLIANCE);
	assert_int_equal(l.years, 7);
	assert_int_equal(l.days, 0);
	assert_int_equal(lock("<ObjectLockConfiguration/>", &l, &err), 0);
	assert_false(l.enabled);
	static const struct {
		const char *xml, *msg;
	} bad[] = {
		{ RET("<Mode>COMPLIANCE</Mode><Days>1</Days><Years>1</Years>"), "exactly one of <Days> and <Years>" },
		{ RET("<Mode>COMPLIANCE</Mode>"), "exactly one of <Days> and <Years>" },
		{ RET("<Days>1</Days>"), "no <Mode> in <DefaultRetention>" },
		{ RET("<Mode>compliance</Mode><Days>1</Days>"), "expected GOVERNANCE or COMPLIANCE in <Mode>" },
		{ RET("<Mode>COMPLIANCE</Mode><Days>0</Days>"), "retention period out of range in <Days>" },
		{ RET("<Mode>COMPLIANCE</Mode><Days>4294967296</Days>"), "out of range in <Days>" },
		{ RET("<Mode>COMPLIANCE</Mode><Mode>COMPLIANCE</Mode><Days>1</Days>"), "duplicate element in <Mode>" },
		{ OLC("<Rule></Rule>"), "no <DefaultRetention> in <Rule>" },
		{ "<ObjectLockConfiguration><ObjectLockEnabled>Disabled</ObjectLockEnabled></ObjectLockConfiguration>",
		  "expected Enabled in <ObjectLockEnabled>" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(lock(bad[i].xml, &l, &err), -1);
		if (err.code != RP_E_PROTO || strstr(err.msg, bad[i].msg) == NULL)
			fail_msg("case %zu: %s", i, err.msg);
	}
}

/* ---- rejections ------------------------------------------------------------------------------ */

static void test_reject_dtd_and_markup(void **state)
{
	(void)state;
	/* The classic entity-expansion bomb never gets past its first line. */
	list_fails("<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;\">]>"
		   "<ListBucketResult><IsTruncated>false</IsTruncated><Name>&lol2;</Name></ListBucketResult>",
		   RP_E_PROTO, "<!DOCTYPE is not allowed");
	list_fails("<!DOCTYPE ListBucketResult SYSTEM \"file:///etc/passwd\"><ListBucketResult/>", RP_E_PROTO,
		   "<!DOCTYPE is not allowed");
	list_fails("<!ENTITY x SYSTEM \"http://127.0.0.1/\"><ListBucketResult/>", RP_E_PROTO, "<!ENTITY is not allowed");
	list_fails(wrap_list("<!ENTITY x \"y\">"), RP_E_PROTO, "<!ENTITY is not allowed in <ListBucketResult>");
	list_fails(wrap_list("<Contents><Key><![CDATA[a]]></Key><Size>1</Size></Contents>"), RP_E_PROTO,
		   "CDATA sections are not supported in <Key>");
	list_fails(wrap_list("<!ELEMENT x ANY>"), RP_E_PROTO, "markup declarations are not allowed");
	list_fails(wrap_list("<?php x ?>"), RP_E_PROTO, "processing instructions are not allowed");
	list_fails("\n<?xml version=\"1.0\"?><ListBucketResult/>", RP_E_PROTO, "processing instructions");
	list_fails("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><ListBucketResult/>", RP_E_PROTO,
		   "unsupported encoding");
	list_fails(wrap_list("<!-- a -- b -->"), RP_E_PROTO, "'--' inside a comment");
	list_fails(wrap_list("<!-- never closed"), RP_E_PROTO, "unterminated comment");
}

static void test_reject_entities(void **state)
{
	(void)state;
	static const struct {
		const char *ref, *msg;
	} bad[] = {
		{ "&foo;", "unknown entity &foo; in <Key>" },
		{ "&AMP;", "unknown entity &AMP;" },
		{ "&amp", "unterminated entity reference in <Key>" },
		{ "& x", "unterminated entity reference" },
		{ "&#0;", "&#0; is NUL in <Key>" },
		{ "&#x0;", "&#x0; is NUL" },
		{ "&#x000000;", "&#x000000; is NUL" },
		{ "&#xD800;", "&#xD800; is a surrogate in <Key>" },
		{ "&#57343;", "&#57343; is a surrogate" },
		{ "&#x110000;", "&#x110000; is out of range in <Key>" },
		{ "&#1114112;", "&#1114112; is out of range" },
		{ "&#x1000000;", "out of range" },
		{ "&#99999999;", "out of range" },
		{ "&#1;", "&#1; is not an XML character" },
		{ "&#x1F;", "is not an XML character" },
		{ "&#xFFFE;", "is not an XML character" },
		{ "&#xFFFF;", "is not an XML character" },
		{ "&#;", "invalid numeric character reference &#;" },
		{ "&#x;", "invalid numeric character reference &#x;" },
		{ "&#X41;", "invalid numeric character reference &#X41;" },
		{ "&#x12g;", "invalid numeric character reference" },
		{ "&#12a;", "invalid numeric character reference" },
		{ "&#-1;", "invalid numeric character reference" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char body[256];
		snprintf(body, sizeof body, "<Contents><Key>a%sb</Key><Size>1</Size></Contents>", bad[i].ref);
		list_fails(wrap_list(body), RP_E_PROTO, bad[i].msg);
	}
	list_fails("<ListBucketResult a=\"&bad;\"/>", RP_E_PROTO, "unknown entity &bad;");
	list_fails("<ListBucketResult a=\"<\"/>", RP_E_PROTO, "'<' in the value of attribute a");
}

static void test_reject_utf8(void **state)
{
	(void)state;
	static const char *bad[] = {
		"\xc0\x80",         /* overlong NUL */
		"\xc1\xbf",         /* overlong */
		"\xe0\x80\xaf",     /* overlong '/' */
		"\xed\xa0\x80",     /* surrogate U+D800 */
		"\xf4\x90\x80\x80", /* > U+10FFFF */
		"\xf5\x80\x80\x80",
		"\x80",             /* lone continuation */
		"\xc3",             /* truncated (followed by '<') */
		"\xe6\x97",         /* truncated */
		"\xff",
		"\x01",             /* a control byte is no XML character */
		"\x7f" "\xc2\x80" "\x01", /* U+007F is allowed, U+0080 too; \x01 is not */
		"\xef\xbf\xbe",     /* U+FFFE */
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char body[256];
		snprintf(body, sizeof body, "<Contents><Key>a%sb</Key><Size>1</Size></Contents>", bad[i]);
		list_fails(wrap_list(body), RP_E_PROTO, "in <Key>");
	}
	/* A NUL byte in the middle of the input. */
	static const char nul[] = "<ListBucketResult><IsTruncated>false</IsTruncated><Name>a\0b</Name></ListBucketResult>";
	list_fails_n(nul, sizeof nul - 1, RP_E_PROTO, "is not allowed in XML in <Name>");
	/* Invalid UTF-8 in a skipped element is refused too. */
	list_fails(wrap_list("<Owner><ID>\xff</ID></Owner>"), RP_E_PROTO, "invalid UTF-8 in <ID>");
	list_fails(wrap_list("<!-- \xff -->"), RP_E_PROTO, "invalid character in a comment");
}

static void test_reject_structure(void **state)
{
	(void)state;
	list_fails("", RP_E_PROTO, "no <ListBucketResult> element");
	list_fails("   \n", RP_E_PROTO, "no <ListBucketResult> element");
	list_fails("<ListBucketResult><IsTruncated>false</IsTruncated>", RP_E_PROTO,
		   "unclosed element <ListBucketResult>");
	list_fails(wrap_list("<Contents><Key>a</Key><Size>1</Size>"), RP_E_PROTO, "mismatched end tag </ListBucketResult> in <Contents>");
	list_fails(wrap_list("<Contents><Key>a</Size></Contents>"), RP_E_PROTO, "mismatched end tag </Size> in <Key>");
	list_fails("<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult></ListBucketResult>",
		   RP_E_PROTO, "end tag </ListBucketResult> without a start tag");
	list_fails("<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult><ListBucketResult/>",
		   RP_E_PROTO, "after the root element");
	list_fails("<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>junk", RP_E_PROTO,
		   "text outside the root element");
	list_fails("junk<ListBucketResult/>", RP_E_PROTO, "text outside the root element");
	list_fails("<Error><Code>X</Code></Error>", RP_E_PROTO, "unexpected root element <Error>, expected <ListBucketResult>");
	list_fails(wrap_list("<Contents>text<Key>a</Key><Size>1</Size></Contents>"), RP_E_PROTO,
		   "text mixed with element <Key> in <Contents>");
	list_fails(wrap_list("<Contents><Key>a</Key>text<Size>1</Size></Contents>"), RP_E_PROTO,
		   "text mixed with elements in <Contents>");
	list_fails(wrap_list("<Contents><Key>a</Key><Size>1</Size></Contents x>"), RP_E_PROTO, "'>' expected after </Contents");
	list_fails(wrap_list("<1Key/>"), RP_E_PROTO, "invalid or missing name");
	list_fails(wrap_list("<K\xc3\xa9y/>"), RP_E_PROTO, "");
	list_fails(wrap_list("<Key a=\"1\"b=\"2\"/>"), RP_E_PROTO, "white space expected before an attribute");
	list_fails(wrap_list("<Key a/>"), RP_E_PROTO, "'=' expected after attribute a");
	list_fails(wrap_list("<Key a=1/>"), RP_E_PROTO, "quoted value expected for attribute a");
	list_fails("<ListBucketResult a=\"1", RP_E_PROTO, "unterminated value of attribute a");
	list_fails("<ListBucketResult", RP_E_PROTO, "unterminated tag");
	list_fails("<", RP_E_PROTO, "invalid or missing name");
	list_fails("<ListBucketResult><IsTruncated>false</IsTruncated></", RP_E_PROTO, "invalid or missing name");
}

static void test_limits(void **state)
{
	(void)state;
	/* Depth: 16 levels are fine, 17 are not. */
	char deep[2048] = "<ListBucketResult><IsTruncated>false</IsTruncated>";
	for (int i = 1; i < RP_S3XML_MAX_DEPTH; i++)
		strcat(deep, "<d>");
	for (int i = 1; i < RP_S3XML_MAX_DEPTH; i++)
		strcat(deep, "</d>");
	strcat(deep, "</ListBucketResult>");
	list_ok(deep);
	char deeper[2048] = "<ListBucketResult><IsTruncated>false</IsTruncated>";
	for (int i = 0; i < RP_S3XML_MAX_DEPTH; i++)
		strcat(deeper, "<d>");
	list_fails(deeper, RP_E_LIMIT, "element <d> nested deeper than 16 in <d>");

	/* Element text: 8192 decoded bytes are fine, 8193 are not. */
	size_t cap = 3 * RP_S3XML_MAX_TEXT + 256;
	char *big = malloc(cap), *body = malloc(cap);
	assert_non_null(big);
	assert_non_null(body);
	memset(big, 'k', RP_S3XML_MAX_TEXT);
	big[RP_S3XML_MAX_TEXT] = '\0';
	snprintf(body, cap, "<Contents><Key>%s</Key><Size>1</Size></Contents>", big);
	list_ok(wrap_list(body));
	assert_int_equal(g_list.objects[0].key.len, RP_S3XML_MAX_TEXT);
	snprintf(body, cap, "<Contents><Key>%s&amp;</Key><Size>1</Size></Contents>", big);
	list_fails(wrap_list(body), RP_E_LIMIT, "text longer than 8192 bytes in <Key>");
	free(big);
	free(body);

	/* Entries: 1000 <Contents> are fine, 1001 are not. */
	size_t n = 64 + (RP_S3XML_MAX_KEYS + 1) * 64;
	char *xml = malloc(n);
	assert_non_null(xml);
	size_t off = (size_t)snprintf(xml, n, "<ListBucketResult><IsTruncated>false</IsTruncated>");
	for (int i = 0; i < RP_S3XML_MAX_KEYS; i++)
		off += (size_t)snprintf(xml + off, n - off, "<Contents><Key>k%04d</Key><Size>%d</Size></Contents>", i, i);
	snprintf(xml + off, n - off, "</ListBucketResult>");
	list_ok(xml);
	assert_int_equal(g_list.n_objects, RP_S3XML_MAX_KEYS);
	assert_str(g_list.objects[999].key, "k0999");
	assert_int_equal(g_list.objects[999].size, 999);
	off += (size_t)snprintf(xml + off, n - off, "<Contents><Key>k1000</Key><Size>1</Size></Contents>");
	snprintf(xml + off, n - off, "</ListBucketResult>");
	list_fails(xml, RP_E_LIMIT, "more than 1000 <Contents> entries");
	free(xml);

	/* Input size: the cap itself passes the size check, one byte more does not. */
	size_t len = RP_S3XML_MAX_INPUT + 1;
	char *huge = malloc(len);
	assert_non_null(huge);
	static const char head[] = "<ListBucketResult><IsTruncated>false</IsTruncated>";
	static const char tail[] = "</ListBucketResult>";
	memcpy(huge, head, sizeof head - 1);
	memset(huge + sizeof head - 1, ' ', len - (sizeof head - 1) - (sizeof tail - 1));
	memcpy(huge + len - (sizeof tail - 1), tail, sizeof tail - 1);
	list_fails_n(huge, len, RP_E_LIMIT, "exceeds the 1048576-byte limit");
	rp_err err;
	assert_int_equal(plist(huge + 1, len - 1, &err), -1); /* not too big, just malformed now */
	assert_int_equal(err.code, RP_E_PROTO);
	free(huge);

	/* Attributes. */
	char attrs[1024] = "<ListBucketResult";
	for (int i = 0; i <= RP_S3XML_MAX_ATTRS; i++) {
		char a[16];
		snprintf(a, sizeof a, " a%d=\"\"", i);
		strcat(attrs, a);
	}
	strcat(attrs, "/>");
	list_fails(attrs, RP_E_LIMIT, "more than 16 attributes");
	/* Names. */
	char name[512] = "<ListBucketResult><IsTruncated>false</IsTruncated><";
	memset(name + strlen(name), 'n', RP_S3XML_MAX_NAME + 1);
	strcat(name, "/></ListBucketResult>");
	list_fails(name, RP_E_LIMIT, "a name longer than 128 bytes");
}

/* The arena never needs more than len + 1 bytes, and a smaller one is
 * refused cleanly. */
static void test_arena(void **state)
{
	(void)state;
	rp_s3xml_arena a;
	rp_err err;
	size_t len = strlen(RGW_LIST);
	char *mem = malloc(len + 1);
	assert_non_null(mem);
	rp_s3xml_arena_init(&a, mem, len + 1);
	assert_int_equal(rp_s3xml_parse_list(RGW_LIST, len, &a, &g_list, &err), 0);
	assert_true(a.used <= len + 1);
	size_t need = a.used;
	for (size_t cap = 0; cap < need; cap += 7) {
		rp_s3xml_arena_init(&a, mem, cap);
		rp_err_clear(&err);
		assert_int_equal(rp_s3xml_parse_list(RGW_LIST, len, &a, &g_list, &err), -1);
		assert_true(err.code == RP_E_LIMIT || err.code == RP_E_INTERNAL);
	}
	rp_s3xml_arena_init(&a, mem, need);
	assert_int_equal(rp_s3xml_parse_list(RGW_LIST, len, &a, &g_list, &err), 0);
	rp_s3xml_arena_init(&a, mem, need - 1);
	assert_int_equal(rp_s3xml_parse_list(RGW_LIST, len, &a, &g_list, &err), -1);
	assert_int_equal(err.code, RP_E_LIMIT);
	assert_non_null(strstr(err.msg, "arena is exhausted"));
	free(mem);
	/* Entity-heavy text (every entity shrinks) fits in len + 1 as well. */
	char xml[4096];
	char body[3000] = "<Contents><Key>";
	for (int i = 0; i < 100; i++)
		strcat(body, "&#x10FFFF;&amp;");
	strcat(body, "</Key><Size>1</Size></Contents>");
	snprintf(xml, sizeof xml, "<ListBucketResult><IsTruncated>false</IsTruncated>%s</ListBucketResult>", body);
	len = strlen(xml);
	mem = malloc(len + 1);
	assert_non_null(mem);
	rp_s3xml_arena_init(&a, mem, len + 1);
	assert_int_equal(rp_s3xml_parse_list(xml, len, &a, &g_list, &err), 0);
	assert_int_equal(g_list.objects[0].key.len, 500);
	free(mem);
}

static void test_messages_name_offsets(void **state)
{
	(void)state;
	rp_err err;
	const char *xml = "<ListBucketResult><IsTruncated>false</IsTruncated><Name>&nope;</Name></ListBucketResult>";
	assert_int_equal(plist(xml, strlen(xml), &err), -1);
	assert_string_equal(err.msg, "s3xml: unknown entity &nope; in <Name> at byte 56");
	/* Non-printable bytes of an unknown entity name are not echoed. */
	xml = "<ListBucketResult><Name>&a\x01;</Name></ListBucketResult>";
	assert_int_equal(plist(xml, strlen(xml), &err), -1);
	assert_non_null(strstr(err.msg, "unknown entity &a?; in <Name>"));
	xml = "<ListBucketResult><Name>&#\x1b[2J;</Name></ListBucketResult>";
	assert_int_equal(plist(xml, strlen(xml), &err), -1);
	assert_non_null(strstr(err.msg, "invalid numeric character reference &#?[2J; in <Name>"));
	for (const char *m = err.msg; *m != '\0'; m++)
		assert_true(*m >= 0x20 && *m < 0x7f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rgw_listing),
		cmocka_unit_test(test_rgw_listing_truncated_and_empty),
		cmocka_unit_test(test_aws_listing),
		cmocka_unit_test(test_entities),
		cmocka_unit_test(test_list_values),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_versioning),
		cmocka_unit_test(test_object_lock),
		cmocka_unit_test(test_reject_dtd_and_markup),
		cmocka_unit_test(test_reject_entities),
		cmocka_unit_test(test_reject_utf8),
		cmocka_unit_test(test_reject_structure),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_arena),
		cmocka_unit_test(test_messages_name_offsets),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
