/*
 * harness_config.c - fuzzes the rpvault.conf parser (rp_config_parse,
 * src/broker/config.c).
 *
 * The configuration is a trusted local file, but the parser still must
 * not crash, read out of bounds or accept garbage on any byte string.
 *
 * Properties checked (abort() on violation):
 *  - the result is 0, or -1 with RP_E_USAGE and a NUL-terminated,
 *    non-empty message;
 *  - on success both values are NUL-terminated inside their arrays and
 *    hold no control byte (< 0x20);
 *  - round trip: writing the parsed values back as a canonical file
 *    ("[store]\nuri = V\n[sandbox]\nuser = W\n") and parsing that gives the
 *    same values.
 * The input text is a heap block of exactly its size (afl_driver.c), so
 * ASan catches any read past its end (the parser takes an explicit
 * length; the text is not NUL-terminated).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/config.h"
#include "common/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                          \
	do {                                                                                 \
		if (!(cond)) {                                                               \
			fprintf(stderr, "harness_config: property failed at line %d: %s\n",   \
				__LINE__, #cond);                                            \
			abort();                                                             \
		}                                                                            \
	} while (0)

static void check_value(const char *v, size_t cap)
{
	const char *nul = memchr(v, '\0', cap);
	CHECK(nul != NULL);
	for (const char *q = v; q < nul; q++)
		CHECK((unsigned char)*q >= 0x20);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	rp_config *c = malloc(sizeof *c);
	CHECK(c != NULL);
	rp_config_init(c);
	rp_err err;
	rp_err_clear(&err);
	int rc = rp_config_parse(c, (const char *)data, size, "fuzz.conf", &err);
	if (rc != 0) {
		CHECK(rc == -1);
		CHECK(err.code == RP_E_USAGE);
		CHECK(memchr(err.msg, '\0', sizeof err.msg) != NULL && err.msg[0] != '\0');
		free(c);
		return 0;
	}
	check_value(c->store_uri, sizeof c->store_uri);
	check_value(c->sandbox_user, sizeof c->sandbox_user);

	size_t cap = strlen(c->store_uri) + strlen(c->sandbox_user) + 64;
	char *text = malloc(cap);
	CHECK(text != NULL);
	int n = snprintf(text, cap, "[store]\nuri = %s\n[sandbox]\nuser = %s\n", c->store_uri,
			 c->sandbox_user);
	CHECK(n > 0 && (size_t)n < cap);
	rp_config *c2 = malloc(sizeof *c2);
	CHECK(c2 != NULL);
	rp_config_init(c2);
	rp_err_clear(&err);
	CHECK(rp_config_parse(c2, text, (size_t)n, "roundtrip.conf", &err) == 0);
	CHECK(strcmp(c->store_uri, c2->store_uri) == 0);
	CHECK(strcmp(c->sandbox_user, c2->sandbox_user) == 0);
	free(c2);
	free(text);
	free(c);
	return 0;
}
