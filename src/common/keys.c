/*
 * keys.c - storage key prefix derivation and checks (see keys.h).
 *
 * Security posture: untrusted ids are inserted raw, after the segment
 * check; every length is checked before copying.
 */
#include "keys.h"

#include <stdio.h>
#include <string.h>

int rp_key_segment_check(const char *s, size_t len, rp_err *err)
{
	if (len == 0 || (len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.'))
		return rp_err_set(err, RP_E_PATH, "object store invalid: segment is invalid");
	if (len > RP_MAX_PATH_COMPONENT)
		return rp_err_set(err, RP_E_PATH, "object store invalid: segment exceeds length limit");
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '/' || s[i] == '\\' || s[i] == '\0')
			return rp_err_set(err, RP_E_PATH,
					  "object store invalid: segment contains invalid characters");
	}
	return 0;
}

static int put(char *out, size_t *o, const char *s, size_t n, rp_err *err)
{
	if (n > RP_KEY_PREFIX_MAX || *o > RP_KEY_PREFIX_MAX - n)
		return rp_err_set(err, RP_E_PATH, "object store invalid: runpack prefix exceeds length limit");
	memcpy(out + *o, s, n);
	*o += n;
	out[*o] = '\0';
	return 0;
}

static int put_seg(char *out, size_t *o, const char *s, size_t n, rp_err *err)
{
	if (rp_key_segment_check(s, n, err) != 0)
		return -1;
	if (put(out, o, s, n, err) != 0)
		return -1;
	return put(out, o, "/", 1, err);
}

int rp_key_prefix(uint64_t tenant, uint64_t namespace_id, const char *scenario, size_t scenario_len,
		  const char *run, size_t run_len, const char *spec_hash, size_t spec_hash_len,
		  char out[RP_KEY_PREFIX_MAX + 1], rp_err *err)
{
	char t[24], n[24];
	size_t o = 0;
	out[0] = '\0';
	(void)snprintf(t, sizeof t, "%llu", (unsigned long long)tenant);
	(void)snprintf(n, sizeof n, "%llu", (unsigned long long)namespace_id);
	if (put_seg(out, &o, "tenant", 6, err) || put_seg(out, &o, t, strlen(t), err) ||
	    put_seg(out, &o, "namespace", 9, err) || put_seg(out, &o, n, strlen(n), err) ||
	    put_seg(out, &o, "scenario", 8, err) || put_seg(out, &o, scenario, scenario_len, err) ||
	    put_seg(out, &o, "run", 3, err) || put_seg(out, &o, run, run_len, err) ||
	    put_seg(out, &o, "spec", 4, err) || put_seg(out, &o, "sha256", 6, err) ||
	    put_seg(out, &o, spec_hash, spec_hash_len, err))
		return -1;
	return 0;
}

static int is_decimal_nonzero(const char *s, size_t n)
{
	if (n == 0 || n > 20 || s[0] == '0')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	if (n == 20 && memcmp(s, "18446744073709551615", 20) > 0)
		return 0;
	return 1;
}

static int is_hex64(const char *s, size_t n)
{
	if (n != 64)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

int rp_key_prefix_check(const char *prefix, rp_err *err)
{
	static const char *const fixed[11] = {"tenant", NULL, "namespace", NULL, "scenario", NULL,
					      "run",    NULL, "spec",      "sha256", NULL};
	size_t len = strnlen(prefix, RP_KEY_PREFIX_MAX + 1);
	if (len > RP_KEY_PREFIX_MAX)
		return rp_err_set(err, RP_E_PATH, "object store invalid: runpack prefix exceeds length limit");
	if (len == 0 || prefix[len - 1] != '/')
		return rp_err_set(err, RP_E_PATH, "key prefix must end in '/'");
	size_t start = 0;
	int seg = 0;
	for (size_t i = 0; i < len; i++) {
		if (prefix[i] != '/')
			continue;
		const char *s = prefix + start;
		size_t n = i - start;
		if (seg >= 11)
			return rp_err_set(err, RP_E_PATH, "key prefix has more than eleven segments");
		if (rp_key_segment_check(s, n, err) != 0)
			return -1;
		if (fixed[seg] != NULL && (strlen(fixed[seg]) != n || memcmp(fixed[seg], s, n) != 0))
			return rp_err_set(err, RP_E_PATH, "key prefix segment %d must be '%s'", seg + 1, fixed[seg]);
		if ((seg == 1 || seg == 3) && !is_decimal_nonzero(s, n))
			return rp_err_set(err, RP_E_PATH, "key prefix segment %d must be a non-zero decimal id",
					  seg + 1);
		if (seg == 10 && !is_hex64(s, n))
			return rp_err_set(err, RP_E_PATH, "key prefix spec hash must be 64 lower-case hex digits");
		seg++;
		start = i + 1;
	}
	if (seg != 11)
		return rp_err_set(err, RP_E_PATH, "key prefix has %d segments, expected 11", seg);
	return 0;
}

int rp_key_normalize_root(const char *in, char out[RP_KEY_PREFIX_MAX + 1], rp_err *err)
{
	size_t len = strnlen(in, RP_KEY_PREFIX_MAX * 2 + 1);
	size_t b = 0, e = len;
	if (len > RP_KEY_PREFIX_MAX * 2)
		return rp_err_set(err, RP_E_PATH, "object store invalid: path exceeds length limit");
	while (b < e && (in[b] == ' ' || (in[b] >= '\t' && in[b] <= '\r')))
		b++;
	while (e > b && (in[e - 1] == ' ' || (in[e - 1] >= '\t' && in[e - 1] <= '\r')))
		e--;
	out[0] = '\0';
	if (b == e)
		return 0;
	if (in[b] == '/')
		return rp_err_set(err, RP_E_PATH, "object store invalid: prefix must be relative (no leading slash)");
	if (in[e - 1] == '/')
		e--;
	const char *p = in + b;
	size_t n = e - b;
	for (size_t i = 0; i < n; i++)
		if (p[i] == '\\')
			return rp_err_set(err, RP_E_PATH, "object store invalid: path must not contain backslashes");
	if (n == 0)
		return rp_err_set(err, RP_E_PATH, "object store invalid: path must be set");
	/* A prefix of 4096 bytes plus its '/' could never be part of a key
	 * of at most 4096 bytes; refusing it keeps out[] in bounds. */
	if (n >= RP_KEY_PREFIX_MAX)
		return rp_err_set(err, RP_E_PATH, "object store invalid: path exceeds length limit");
	/* Rust Path::components: interior "." and empty segments vanish, a
	 * leading "." and any ".." are traversal. */
	size_t start = 0;
	int first = 1;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && p[i] != '/')
			continue;
		size_t sl = i - start;
		const char *s = p + start;
		if (sl == 2 && s[0] == '.' && s[1] == '.')
			return rp_err_set(err, RP_E_PATH, "object store invalid: path must be relative without traversal");
		if (sl == 1 && s[0] == '.' && first)
			return rp_err_set(err, RP_E_PATH, "object store invalid: path must be relative without traversal");
		if (sl > RP_MAX_PATH_COMPONENT)
			return rp_err_set(err, RP_E_PATH, "object store invalid: path segment exceeds length limit");
		if (sl > 0)
			first = 0;
		start = i + 1;
	}
	memcpy(out, p, n);
	out[n] = '/';
	out[n + 1] = '\0';
	return 0;
}
