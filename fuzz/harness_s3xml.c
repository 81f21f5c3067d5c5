/*
 * harness_s3xml.c - fuzzes the S3 XML reader (src/child/s3xml.c), which
 * parses bytes from the network inside the confined child.
 *
 * Input: byte 0 picks the parser (bits 0-1: list, error, versioning,
 * object lock) and a framing (bits 2-3): the rest of the input as the whole
 * document, or spliced into a captured RGW listing inside a <Key>, between
 * two <Contents>, or after the XML declaration. The splices let a campaign
 * without a corpus start deep inside real documents.
 *
 * Properties checked (abort() on violation, so AFL keeps the input):
 *  - the result is 0, or -1 with RP_E_PROTO or RP_E_LIMIT (never INTERNAL)
 *    and a non-empty NUL-terminated message starting "s3xml: " made of
 *    printable ASCII only (it quotes names and references from the input);
 *  - an arena of exactly len + 1 bytes (a heap block, so ASan sees any
 *    overrun) is always enough: no "arena is exhausted" error;
 *  - on success, every string lies inside the arena, is NUL-terminated at
 *    its length, holds no NUL and is strict UTF-8; a listing has at most
 *    1000 objects, a non-empty token when truncated, a KeyCount equal to
 *    its entries when present, non-empty keys; an error has a code;
 *  - round trip: a listing written back as XML (escaping & < > " ') parses
 *    to the same keys, sizes, ETags, prefixes, flags and token.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "child/s3xml.h"
#include "common/err.h"
#include "common/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                          \
	do {                                                                                 \
		if (!(cond)) {                                                               \
			fprintf(stderr, "harness_s3xml: property failed at line %d: %s\n",    \
				__LINE__, #cond);                                            \
			abort();                                                             \
		}                                                                            \
	} while (0)

/* Captured from Ceph RGW 16.2.15 (see tests/unit/test_s3xml.c), cut in
 * three at the splice points. */
static const char T_HEAD[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>";
static const char T_OPEN[] =
	"<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>probe1</Name><Prefix>"
	"</Prefix><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated><Contents><Key>page/obj 0 ";
static const char T_MID[] =
	".json</Key><LastModified>2026-11-27T18:20:15.139Z</LastModified><ETag>&quot;9dd4e461268c8034f5c8564e"
	"155c67a6&quot;</ETag><Size>1</Size><StorageClass>STANDARD</StorageClass><Type>Normal</Type>"
	"</Contents>";
static const char T_TAIL[] = "<KeyCount>1</KeyCount></ListBucketResult>";

/* The shared strict decoder (src/common/utf8.c), with its own unit tests;
 * a length or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	uint32_t cp;
	return rp_utf8_decode(s, n, &cp);
}

static void check_str(const rp_s3xml_str *s, const rp_s3xml_arena *a)
{
	if (s->s == NULL) {
		CHECK(s->len == 0);
		return;
	}
	CHECK(s->s >= a->mem && s->s + s->len < a->mem + a->used);
	CHECK(s->s[s->len] == '\0');
	CHECK(memchr(s->s, '\0', s->len) == NULL);
	const unsigned char *u = (const unsigned char *)s->s;
	for (size_t i = 0; i < s->len;) {
		size_t l = utf8_len(u + i, s->len - i);
		CHECK(l > 0);
		i += l;
	}
}

static void check_err(int rc, const rp_err *err)
{
	if (rc == 0)
		return;
	CHECK(rc == -1);
	CHECK(err->code == RP_E_PROTO || err->code == RP_E_LIMIT);
	CHECK(memchr(err->msg, '\0', sizeof err->msg) != NULL);
	CHECK(strncmp(err->msg, "s3xml: ", 7) == 0);
	CHECK(strstr(err->msg, "arena is exhausted") == NULL);
	/* Messages echo parts of the input: only printable ASCII may get out. */
	for (const char *m = err->msg; *m != '\0'; m++)
		CHECK(*m >= 0x20 && *m < 0x7f);
}

/* ---- round trip of a listing ----------------------------------------------------- */

typedef struct out {
	char *p;
	size_t len, cap;
	int overflow;
} out;

static void put(out *o, const char *s, size_t n)
{
	if (o->overflow || n > o->cap - o->len) {
		o->overflow = 1;
		return;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

static void puts_(out *o, const char *s)
{
	put(o, s, strlen(s));
}

static void put_esc(out *o, const rp_s3xml_str *s)
{
	for (size_t i = 0; i < s->len; i++) {
		switch (s->s[i]) {
		case '&': puts_(o, "&amp;"); break;
		case '<': puts_(o, "&lt;"); break;
		case '>': puts_(o, "&gt;"); break;
		case '"': puts_(o, "&quot;"); break;
		case '\'': puts_(o, "&apos;"); break;
		case '\r': puts_(o, "&#13;"); break;
		default: put(o, s->s + i, 1);
		}
	}
}

static void elem(out *o, const char *name, const rp_s3xml_str *s)
{
	if (s->s == NULL)
		return;
	puts_(o, "<");
	puts_(o, name);
	puts_(o, ">");
	put_esc(o, s);
	puts_(o, "</");
	puts_(o, name);
	puts_(o, ">");
}

static int same(const rp_s3xml_str *a, const rp_s3xml_str *b)
{
	if (a->s == NULL || b->s == NULL)
		return a->s == b->s;
	return a->len == b->len && memcmp(a->s, b->s, a->len) == 0;
}

static size_t esc_bound(const rp_s3xml_str *s)
{
	return 6 * s->len + 64; /* "&quot;" per byte, plus the tags */
}

static void round_trip(const rp_s3xml_list *l)
{
	size_t cap = 256 + esc_bound(&l->name) + esc_bound(&l->prefix) + esc_bound(&l->next_token);
	for (size_t i = 0; i < l->n_objects; i++)
		cap += 64 + esc_bound(&l->objects[i].key) + esc_bound(&l->objects[i].etag);
	for (size_t i = 0; i < l->n_prefixes; i++)
		cap += 64 + esc_bound(&l->prefixes[i]);
	if (cap > RP_S3XML_MAX_INPUT)
		cap = RP_S3XML_MAX_INPUT;
	out o = { malloc(cap), 0, cap, 0 };
	CHECK(o.p != NULL);
	char num[32];
	puts_(&o, "<ListBucketResult>");
	elem(&o, "Name", &l->name);
	elem(&o, "Prefix", &l->prefix);
	puts_(&o, l->is_truncated ? "<IsTruncated>true</IsTruncated>" : "<IsTruncated>false</IsTruncated>");
	elem(&o, "NextContinuationToken", &l->next_token);
	if (l->has_key_count) {
		snprintf(num, sizeof num, "<KeyCount>%llu</KeyCount>", (unsigned long long)l->key_count);
		puts_(&o, num);
	}
	for (size_t i = 0; i < l->n_objects; i++) {
		puts_(&o, "<Contents>");
		elem(&o, "Key", &l->objects[i].key);
		elem(&o, "ETag", &l->objects[i].etag);
		snprintf(num, sizeof num, "<Size>%llu</Size>", (unsigned long long)l->objects[i].size);
		puts_(&o, num);
		puts_(&o, "</Contents>");
	}
	for (size_t i = 0; i < l->n_prefixes; i++) {
		puts_(&o, "<CommonPrefixes>");
		elem(&o, "Prefix", &l->prefixes[i]);
		puts_(&o, "</CommonPrefixes>");
	}
	puts_(&o, "</ListBucketResult>");
	if (!o.overflow) {
		static rp_s3xml_list l2;
		char *mem = malloc(o.len + 1);
		CHECK(mem != NULL);
		rp_s3xml_arena a;
		rp_err err;
		rp_s3xml_arena_init(&a, mem, o.len + 1);
		int rc = rp_s3xml_parse_list(o.p, o.len, &a, &l2, &err);
		if (rc != 0)
			fprintf(stderr, "harness_s3xml: round trip: %s\n", err.msg);
		CHECK(rc == 0);
		CHECK(l2.n_objects == l->n_objects && l2.n_prefixes == l->n_prefixes);
		CHECK(l2.is_truncated == l->is_truncated && l2.has_key_count == l->has_key_count &&
		      l2.key_count == l->key_count);
		CHECK(same(&l2.name, &l->name) && same(&l2.prefix, &l->prefix) && same(&l2.next_token, &l->next_token));
		for (size_t i = 0; i < l->n_objects; i++) {
			CHECK(same(&l2.objects[i].key, &l->objects[i].key));
			CHECK(same(&l2.objects[i].etag, &l->objects[i].etag));
			CHECK(l2.objects[i].size == l->objects[i].size);
		}
		for (size_t i = 0; i < l->n_prefixes; i++)
			CHECK(same(&l2.prefixes[i], &l->prefixes[i]));
		free(mem);
	}
	free(o.p);
}

/* ---- entry ------------------------------------------------------------------------- */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static rp_s3xml_list list;
	if (size == 0)
		return 0;
	unsigned sel = data[0] & 3u, frame = (data[0] >> 2) & 3u;
	const uint8_t *body = data + 1;
	size_t blen = size - 1;

	/* Build the document in a heap block of exactly its size. */
	size_t cap = blen + sizeof T_HEAD + sizeof T_OPEN + sizeof T_MID + sizeof T_TAIL;
	char *doc = malloc(cap);
	CHECK(doc != NULL);
	size_t len = 0;
#define ADD(p, n)                                   \
	do {                                        \
		memcpy(doc + len, (p), (n));        \
		len += (n);                         \
	} while (0)
	switch (frame) {
	case 0:
		ADD(body, blen);
		break;
	case 1: /* inside a <Key> */
		ADD(T_HEAD, sizeof T_HEAD - 1);
		ADD(T_OPEN, sizeof T_OPEN - 1);
		ADD(body, blen);
		ADD(T_MID, sizeof T_MID - 1);
		ADD(T_TAIL, sizeof T_TAIL - 1);
		break;
	case 2: /* between the entries and <KeyCount> */
		ADD(T_HEAD, sizeof T_HEAD - 1);
		ADD(T_OPEN, sizeof T_OPEN - 1);
		ADD(T_MID, sizeof T_MID - 1);
		ADD(body, blen);
		ADD(T_TAIL, sizeof T_TAIL - 1);
		break;
	default: /* after the declaration */
		ADD(T_HEAD, sizeof T_HEAD - 1);
		ADD(body, blen);
		break;
	}
#undef ADD
	char *exact = malloc(len > 0 ? len : 1);
	CHECK(exact != NULL);
	memcpy(exact, doc, len);
	free(doc);

	char *mem = malloc(len + 1);
	CHECK(mem != NULL);
	rp_s3xml_arena a;
	rp_s3xml_arena_init(&a, mem, len + 1);
	rp_err err;
	rp_err_clear(&err);
	int rc;
	switch (sel) {
	case 0: {
		rc = rp_s3xml_parse_list(exact, len, &a, &list, &err);
		check_err(rc, &err);
		if (rc != 0)
			break;
		CHECK(a.used <= len + 1);
		CHECK(list.n_objects <= RP_S3XML_MAX_KEYS && list.n_prefixes <= RP_S3XML_MAX_PREFIXES);
		check_str(&list.name, &a);
		check_str(&list.prefix, &a);
		check_str(&list.next_token, &a);
		CHECK(!list.is_truncated || list.next_token.len > 0);
		CHECK(!list.has_key_count || list.key_count == list.n_objects + list.n_prefixes);
		for (size_t i = 0; i < list.n_objects; i++) {
			CHECK(list.objects[i].key.s != NULL && list.objects[i].key.len > 0);
			CHECK(list.objects[i].key.len <= RP_S3XML_MAX_TEXT);
			check_str(&list.objects[i].key, &a);
			check_str(&list.objects[i].etag, &a);
		}
		for (size_t i = 0; i < list.n_prefixes; i++) {
			CHECK(list.prefixes[i].s != NULL);
			check_str(&list.prefixes[i], &a);
		}
		round_trip(&list);
		break;
	}
	case 1: {
		rp_s3xml_error e;
		rc = rp_s3xml_parse_error(exact, len, &a, &e, &err);
		check_err(rc, &err);
		if (rc == 0) {
			CHECK(e.code.len > 0);
			check_str(&e.code, &a);
			check_str(&e.message, &a);
			check_str(&e.request_id, &a);
			check_str(&e.resource, &a);
		}
		break;
	}
	case 2: {
		rp_s3xml_versioning v;
		rc = rp_s3xml_parse_versioning(exact, len, &a, &v, &err);
		check_err(rc, &err);
		if (rc == 0)
			CHECK(v == RP_S3XML_VERSIONING_NEVER || v == RP_S3XML_VERSIONING_ENABLED ||
			      v == RP_S3XML_VERSIONING_SUSPENDED);
		break;
	}
	default: {
		rp_s3xml_object_lock l;
		rc = rp_s3xml_parse_object_lock(exact, len, &a, &l, &err);
		check_err(rc, &err);
		if (rc == 0) {
			CHECK(l.mode == RP_S3XML_LOCK_NONE || l.mode == RP_S3XML_LOCK_GOVERNANCE ||
			      l.mode == RP_S3XML_LOCK_COMPLIANCE);
			if (l.mode != RP_S3XML_LOCK_NONE)
				CHECK((l.days > 0) != (l.years > 0));
			else
				CHECK(l.days == 0 && l.years == 0);
		}
		break;
	}
	}
	free(mem);
	free(exact);
	return 0;
}
