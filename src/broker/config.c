/*
 * config.c - parser for rpvault.conf (see config.h).
 *
 * Security posture: PRIVILEGED side; bounded input (RP_MAX_CONFIG_BYTES),
 * no dynamic allocation, every error names file and line.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void rp_config_init(rp_config *c)
{
	memset(c, 0, sizeof *c);
	c->store_path_style = -1;
	c->store_allow_http = -1;
}

static int is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r';
}

static int set_value(char *dst, size_t dstsz, const char *v, size_t n, const char *name, unsigned line,
		     const char *key, rp_err *err)
{
	if (n >= dstsz)
		return rp_err_set(err, RP_E_USAGE, "%s:%u: value of %s is too long (max %zu bytes)", name, line, key,
				  dstsz - 1);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			return rp_err_set(err, RP_E_USAGE, "%s:%u: value of %s contains a control character", name, line,
					  key);
	memcpy(dst, v, n);
	dst[n] = '\0';
	return 0;
}

/* Booleans are exactly "true" or "false": a typo must not silently turn
 * into either. */
static int set_bool(int *dst, const char *v, size_t n, const char *name, unsigned line, const char *key,
		    rp_err *err)
{
	if (n == 4 && memcmp(v, "true", 4) == 0)
		*dst = 1;
	else if (n == 5 && memcmp(v, "false", 5) == 0)
		*dst = 0;
	else
		return rp_err_set(err, RP_E_USAGE, "%s:%u: value of %s must be true or false", name, line, key);
	return 0;
}

/* One [store] key; 1 when the key is not a [store] key. */
static int set_store_key(rp_config *c, const char *key, const char *v, size_t vn, const char *name,
			 unsigned line, rp_err *err)
{
	if (strcmp(key, "uri") == 0)
		return set_value(c->store_uri, sizeof c->store_uri, v, vn, name, line, "store.uri", err);
	if (strcmp(key, "endpoint") == 0)
		return set_value(c->store_endpoint, sizeof c->store_endpoint, v, vn, name, line, "store.endpoint", err);
	if (strcmp(key, "region") == 0)
		return set_value(c->store_region, sizeof c->store_region, v, vn, name, line, "store.region", err);
	if (strcmp(key, "ca_file") == 0)
		return set_value(c->store_ca_file, sizeof c->store_ca_file, v, vn, name, line, "store.ca_file", err);
	if (strcmp(key, "credentials_file") == 0)
		return set_value(c->store_credentials_file, sizeof c->store_credentials_file, v, vn, name, line,
				 "store.credentials_file", err);
	if (strcmp(key, "path_style") == 0)
		return set_bool(&c->store_path_style, v, vn, name, line, "store.path_style", err);
	if (strcmp(key, "allow_http") == 0)
		return set_bool(&c->store_allow_http, v, vn, name, line, "store.allow_http", err);
	return 1;
}

int rp_config_parse(rp_config *c, const char *text, size_t len, const char *name, rp_err *err)
{
	char section[32] = "";
	unsigned line = 0;
	size_t pos = 0;
	if (len > RP_MAX_CONFIG_BYTES)
		return rp_err_set(err, RP_E_USAGE, "%s: larger than %d bytes", name, RP_MAX_CONFIG_BYTES);
	while (pos < len) {
		size_t end = pos;
		while (end < len && text[end] != '\n')
			end++;
		line++;
		const char *s = text + pos;
		size_t n = end - pos;
		pos = end + 1;
		if (memchr(s, '\0', n) != NULL)
			return rp_err_set(err, RP_E_USAGE, "%s:%u: NUL byte", name, line);
		while (n > 0 && is_space(*s))
			s++, n--;
		while (n > 0 && is_space(s[n - 1]))
			n--;
		if (n == 0 || s[0] == '#' || s[0] == ';')
			continue;
		if (s[0] == '[') {
			if (s[n - 1] != ']' || n - 2 >= sizeof section)
				return rp_err_set(err, RP_E_USAGE, "%s:%u: malformed section header", name, line);
			memcpy(section, s + 1, n - 2);
			section[n - 2] = '\0';
			if (strcmp(section, "store") != 0 && strcmp(section, "sandbox") != 0)
				return rp_err_set(err, RP_E_USAGE, "%s:%u: unknown section [%s]", name, line, section);
			continue;
		}
		const char *eq = memchr(s, '=', n);
		if (eq == NULL)
			return rp_err_set(err, RP_E_USAGE, "%s:%u: expected key = value", name, line);
		size_t kn = (size_t)(eq - s);
		while (kn > 0 && is_space(s[kn - 1]))
			kn--;
		const char *v = eq + 1;
		size_t vn = n - (size_t)(v - s);
		while (vn > 0 && is_space(*v))
			v++, vn--;
		char key[64];
		if (kn == 0 || kn >= sizeof key)
			return rp_err_set(err, RP_E_USAGE, "%s:%u: missing or overlong key", name, line);
		memcpy(key, s, kn);
		key[kn] = '\0';
		int rc = 1; /* 1: not a known key */
		if (strcmp(section, "store") == 0)
			rc = set_store_key(c, key, v, vn, name, line, err);
		else if (strcmp(section, "sandbox") == 0 && strcmp(key, "user") == 0)
			rc = set_value(c->sandbox_user, sizeof c->sandbox_user, v, vn, name, line, "sandbox.user", err);
		if (rc < 0)
			return -1;
		if (rc > 0) {
			return rp_err_set(err, RP_E_USAGE, "%s:%u: unknown key '%s' in section [%s]", name, line, key,
					  section[0] ? section : "(none)");
		}
	}
	return 0;
}

int rp_config_load(rp_config *c, const char *path, int required, rp_err *err)
{
	char buf[RP_MAX_CONFIG_BYTES + 1];
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		if (errno == ENOENT && !required)
			return 0;
		return rp_err_set(err, RP_E_USAGE, "cannot read configuration %s: %s", path, strerror(errno));
	}
	size_t len = 0;
	for (;;) {
		ssize_t n = read(fd, buf + len, sizeof buf - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			(void)close(fd);
			return rp_err_set(err, RP_E_USAGE, "cannot read configuration %s: %s", path, strerror(e));
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len == sizeof buf)
			break;
	}
	(void)close(fd);
	return rp_config_parse(c, buf, len, path, err);
}
