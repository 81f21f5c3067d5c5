/*
 * s3conf.c - resolution of an S3 store's settings and credentials (see
 * s3conf.h).
 *
 * What: parses "s3://BUCKET[/PREFIX]", merges flags, environment,
 * rpvault.conf and defaults (flag > environment > configuration > default,
 * setting by setting), checks the merged result once (Decision Gate's
 * http:// and prefix rules, bucket and endpoint syntax), and reads the
 * credentials from the environment or an AWS-style credentials file.
 *
 * Why here and once: whichever way a setting arrives, the same rules apply;
 * checking the merged values in one place keeps them from drifting.
 *
 * Security posture: BROKER side, trusted but validated inputs. The
 * credentials file is opened O_NOFOLLOW, must be a regular file owned by
 * the caller with no group/other permission bits, is read with a hard size
 * cap into a buffer that is wiped before return. No message ever contains a
 * secret: messages name the variable, the file and the profile, never a
 * value read from the credentials file or a *_KEY/TOKEN variable. On any
 * failure the caller's rp_s3_creds is wiped. No dynamic allocation.
 */
#include "s3conf.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/keys.h"
#include "../common/path.h"

#define CREDS_FILE_MAX (64 * 1024)
#define PROFILE_MAX 128

_Static_assert(RP_S3_ENDPOINT_MAX == RP_CONFIG_ENDPOINT_MAX, "config and s3conf endpoint sizes");
_Static_assert(RP_SIGV4_REGION_MAX == RP_CONFIG_REGION_MAX, "config and s3conf region sizes");

int rp_s3_uri_is_s3(const char *uri)
{
	return uri != NULL && strncmp(uri, "s3://", 5) == 0;
}

void rp_s3_creds_wipe(rp_s3_creds *creds)
{
	if (creds != NULL)
		explicit_bzero(creds, sizeof *creds);
}

void rp_s3_scrub_env(void)
{
	static const char *const names[] = { "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		char *v = getenv(names[i]);
		if (v != NULL)
			explicit_bzero(v, strlen(v));
		(void)unsetenv(names[i]);
	}
}

/* An environment variable, with "" treated as unset (the AWS SDKs do the
 * same: `export AWS_REGION=` must not mean an empty region). */
static const char *env(const char *name)
{
	const char *v = getenv(name);
	return v != NULL && v[0] != '\0' ? v : NULL;
}

static int has_ctl(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

/* ---- the URI ---------------------------------------------------------------- */

/* Bucket names: AWS's rules for virtual-hosted style (a DNS label
 * sequence: [a-z0-9.-], alphanumeric at both ends, no "..", not an IPv4
 * address); path style also allows A-Z and '_' as RGW and older AWS
 * regions do. */
static int bucket_check(const char *b, int path_style, rp_err *err)
{
	char shown[160];
	size_t n = strlen(b);
	if (n == 0)
		return rp_err_set(err, RP_E_USAGE, "store URI has no bucket name (expected s3://BUCKET[/PREFIX])");
	(void)rp_printable(b, n, shown, sizeof shown);
	if (n < 3 || n > RP_S3_BUCKET_MAX)
		return rp_err_set(err, RP_E_USAGE, "invalid bucket name '%s': must be 3 to %d characters", shown,
				  RP_S3_BUCKET_MAX);
	int dotted_quad = 1, dots = 0;
	for (size_t i = 0; i < n; i++) {
		char ch = b[i];
		int ok = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '.' || ch == '-';
		if (path_style)
			ok = ok || (ch >= 'A' && ch <= 'Z') || ch == '_';
		if (!ok)
			return rp_err_set(err, RP_E_USAGE, "invalid bucket name '%s': only %s are allowed", shown,
					  path_style ? "a-z A-Z 0-9 . - _" : "a-z 0-9 . - (A-Z and _ only with path_style)");
		if (ch == '.')
			dots++;
		else if (ch < '0' || ch > '9')
			dotted_quad = 0;
	}
	int alnum0 = (b[0] >= 'a' && b[0] <= 'z') || (b[0] >= 'A' && b[0] <= 'Z') || (b[0] >= '0' && b[0] <= '9');
	char l = b[n - 1];
	int alnum1 = (l >= 'a' && l <= 'z') || (l >= 'A' && l <= 'Z') || (l >= '0' && l <= '9');
	if (!alnum0 || !alnum1)
		return rp_err_set(err, RP_E_USAGE, "invalid bucket name '%s': must start and end with a letter or digit",
				  shown);
	if (!path_style && strstr(b, "..") != NULL)
		return rp_err_set(err, RP_E_USAGE, "invalid bucket name '%s': '..' is not allowed", shown);
	if (!path_style && dotted_quad && dots == 3)
		return rp_err_set(err, RP_E_USAGE, "invalid bucket name '%s': must not look like an IP address", shown);
	return 0;
}

/* Splits "s3://BUCKET[/PREFIX]" into bucket (checked later, when
 * path_style is known) and the normalised root prefix. */
static int uri_parse(const char *uri, rp_s3_settings *set, rp_err *err)
{
	if (!rp_s3_uri_is_s3(uri))
		return rp_err_set(err, RP_E_USAGE, "not an s3:// store URI");
	const char *b = uri + 5;
	size_t bn = strcspn(b, "/");
	if (memchr(b, '@', bn) != NULL)
		/* "s3://KEY:SECRET@bucket": do not echo it */
		return rp_err_set(err, RP_E_USAGE,
				  "store URI must not contain user information (credentials come from the environment or "
				  "the credentials file)");
	if (has_ctl(uri))
		return rp_err_set(err, RP_E_USAGE, "store URI contains a control character");
	if (strpbrk(uri, "?#") != NULL)
		return rp_err_set(err, RP_E_USAGE,
				  "store URI must not contain '?' or '#' (settings go in flags, the environment or "
				  "rpvault.conf)");
	if (bn == 0)
		return rp_err_set(err, RP_E_USAGE, "store URI has no bucket name (expected s3://BUCKET[/PREFIX])");
	if (bn > RP_S3_BUCKET_MAX) {
		char shown[160];
		return rp_err_set(err, RP_E_USAGE, "invalid bucket name '%s': must be 3 to %d characters",
				  rp_printable(b, bn, shown, sizeof shown), RP_S3_BUCKET_MAX);
	}
	memcpy(set->bucket, b, bn);
	set->bucket[bn] = '\0';
	const char *prefix = b[bn] == '/' ? b + bn + 1 : "";
	if (rp_key_normalize_root(prefix, set->root_prefix, err) != 0) {
		err->code = RP_E_USAGE;
		return rp_err_wrap(err, "store URI prefix");
	}
	/* Canonical form: no trailing '/' (the normalised prefix ends in one). */
	size_t pn = strlen(set->root_prefix);
	int n = snprintf(set->uri, sizeof set->uri, "s3://%s%s%.*s", set->bucket, pn > 0 ? "/" : "",
			 (int)(pn > 0 ? pn - 1 : 0), set->root_prefix);
	if (n < 0 || (size_t)n >= sizeof set->uri)
		return rp_err_set(err, RP_E_USAGE, "store URI is too long");
	return 0;
}

/* ---- settings ------------------------------------------------------------------ */

/* A string setting: flag, environment, configuration, in that order. */
static const char *pick(const char *flag, const char *flag_name, const char *envv, const char *env_name,
			const char *conf, const char *conf_name, const char **src)
{
	if (flag != NULL && flag[0] != '\0') {
		*src = flag_name;
		return flag;
	}
	if (envv != NULL) {
		*src = env_name;
		return envv;
	}
	if (conf != NULL && conf[0] != '\0') {
		*src = conf_name;
		return conf;
	}
	return NULL;
}

/* "true"/"false"/"1"/"0" from an environment variable. */
static int env_bool(const char *name, int *out, rp_err *err)
{
	const char *v = env(name);
	if (v == NULL)
		return 0;
	if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
		*out = 1;
	else if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
		*out = 0;
	else
		return rp_err_set(err, RP_E_USAGE, "%s must be true or false", name);
	return 1;
}

/* A boolean: flag (only ever 1), environment, configuration, default 0. */
static int pick_bool(int flag, const char *env_name, int conf, int *out, rp_err *err)
{
	int v = -1;
	if (flag == 1) {
		*out = 1;
		return 0;
	}
	int rc = env_bool(env_name, &v, err);
	if (rc < 0)
		return -1;
	*out = rc > 0 ? v : conf == 1 ? 1 : 0;
	return 0;
}

static int region_check(const char *r, const char *src, rp_err *err)
{
	size_t n = strlen(r);
	int ok = n >= 1 && n <= RP_SIGV4_REGION_MAX;
	for (size_t i = 0; ok && i < n; i++)
		ok = (r[i] >= 'a' && r[i] <= 'z') || (r[i] >= '0' && r[i] <= '9') || r[i] == '-';
	if (!ok) {
		char shown[96];
		return rp_err_set(err, RP_E_USAGE, "invalid region '%s' (from %s): 1 to %d of a-z 0-9 -",
				  rp_printable(r, n, shown, sizeof shown), src, RP_SIGV4_REGION_MAX);
	}
	return 0;
}

/* "host[:port]": a DNS name, an IPv4 address or a bracketed IPv6
 * literal, an optional decimal port 1..65535. */
static int hostport_check(const char *h, size_t n)
{
	size_t i = 0;
	if (n == 0)
		return -1;
	if (h[0] == '[') {
		const char *close = memchr(h, ']', n);
		if (close == NULL || close == h + 1)
			return -1;
		for (const char *q = h + 1; q < close; q++)
			if (!((*q >= '0' && *q <= '9') || (*q >= 'a' && *q <= 'f') || (*q >= 'A' && *q <= 'F') ||
			      *q == ':' || *q == '.'))
				return -1;
		i = (size_t)(close - h) + 1;
	} else {
		while (i < n && h[i] != ':') {
			char ch = h[i];
			if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '.' ||
			      ch == '-'))
				return -1;
			i++;
		}
		if (i == 0 || h[0] == '.' || h[0] == '-' || h[i - 1] == '-')
			return -1;
	}
	if (i == n)
		return 0;
	if (h[i] != ':' || i + 1 == n || n - i - 1 > 5)
		return -1;
	unsigned long port = 0;
	for (size_t j = i + 1; j < n; j++) {
		if (h[j] < '0' || h[j] > '9')
			return -1;
		port = port * 10 + (unsigned long)(h[j] - '0');
	}
	return port >= 1 && port <= 65535 ? 0 : -1;
}

/* The host part of an endpoint ("https://HOST[:PORT]"). */
static const char *endpoint_host(const char *ep)
{
	return ep + (strncmp(ep, "https://", 8) == 0 ? 8 : 7);
}

/* Checks and copies an endpoint; one trailing '/' is dropped, any other
 * path, a query, a fragment or user information is refused. The value is
 * echoed in messages only when it holds no '@' (it could carry a
 * password). */
static int endpoint_set(rp_s3_settings *set, const char *ep, const char *src, rp_err *err)
{
	size_t n = strlen(ep);
	char shown[160];
	const char *show = strchr(ep, '@') != NULL ? "(not shown)" : rp_printable(ep, n, shown, sizeof shown);
	if (strncmp(ep, "https://", 8) != 0 && strncmp(ep, "http://", 7) != 0)
		return rp_err_set(err, RP_E_USAGE, "endpoint must include http:// or https:// (%s from %s)", show, src);
	if (strchr(ep, '@') != NULL)
		return rp_err_set(err, RP_E_USAGE, "endpoint must not contain user information (from %s)", src);
	const char *h = endpoint_host(ep);
	size_t scheme = (size_t)(h - ep);
	if (n > scheme && ep[n - 1] == '/') /* never the scheme's own '/' */
		n--;
	if (n > RP_S3_ENDPOINT_MAX)
		return rp_err_set(err, RP_E_USAGE, "endpoint is longer than %d bytes (from %s)", RP_S3_ENDPOINT_MAX, src);
	size_t hn = n - scheme;
	if (strcspn(h, "/?#") < hn)
		return rp_err_set(err, RP_E_USAGE, "endpoint %s must have no path, query or fragment (from %s)", show,
				  src);
	if (hostport_check(h, hn) != 0)
		return rp_err_set(err, RP_E_USAGE, "endpoint %s: invalid host or port (from %s)", show, src);
	memcpy(set->endpoint, ep, n);
	set->endpoint[n] = '\0';
	return 0;
}

/* A decimal tuning knob from the environment, for tests and benchmarks. */
static int env_uint(const char *name, unsigned lo, unsigned hi, unsigned *out, rp_err *err)
{
	const char *v = env(name);
	if (v == NULL)
		return 0;
	unsigned long x = 0;
	size_t i = 0;
	for (; v[i] != '\0' && i < 10; i++) {
		if (v[i] < '0' || v[i] > '9')
			break;
		x = x * 10 + (unsigned long)(v[i] - '0');
	}
	if (i == 0 || v[i] != '\0' || x < lo || x > hi)
		return rp_err_set(err, RP_E_USAGE, "%s must be a number from %u to %u", name, lo, hi);
	*out = (unsigned)x;
	return 0;
}

static int tuning(rp_s3_settings *set, rp_err *err)
{
	set->parallel = RP_S3_DEFAULT_PARALLEL;
	set->max_attempts = RP_S3_DEFAULT_ATTEMPTS;
	set->connect_ms = RP_S3_DEFAULT_CONNECT_MS;
	set->deadline_ms = RP_S3_DEFAULT_DEADLINE_MS;
	if (env_uint("RPVAULT_S3_PARALLEL", 1, RP_S3_MAX_PARALLEL, &set->parallel, err) != 0 ||
	    env_uint("RPVAULT_S3_MAX_ATTEMPTS", 1, RP_S3_MAX_ATTEMPTS, &set->max_attempts, err) != 0 ||
	    env_uint("RPVAULT_S3_CONNECT_MS", 100, 600000, &set->connect_ms, err) != 0 ||
	    env_uint("RPVAULT_S3_DEADLINE_MS", 100, 3600000, &set->deadline_ms, err) != 0)
		return -1;
	return 0;
}

static int settings(const rp_s3_flags *fl, const rp_config *cfg, rp_s3_settings *set, rp_err *err)
{
	const char *src = NULL;
	const char *renv = env("AWS_REGION") != NULL ? "AWS_REGION" : "AWS_DEFAULT_REGION";
	const char *region =
		pick(fl->region, "--region", env(renv), renv, cfg->store_region, "rpvault.conf [store] region", &src);
	if (region == NULL) {
		region = "us-east-1";
		src = "the default";
	}
	if (region_check(region, src, err) != 0)
		return -1;
	memcpy(set->region, region, strlen(region) + 1);

	if (pick_bool(fl->path_style, "RPVAULT_S3_PATH_STYLE", cfg->store_path_style, &set->path_style, err) != 0 ||
	    pick_bool(fl->allow_http, "RPVAULT_S3_ALLOW_HTTP", cfg->store_allow_http, &set->allow_http, err) != 0)
		return -1;

	const char *ep = pick(fl->endpoint, "--endpoint", env("AWS_ENDPOINT_URL"), "AWS_ENDPOINT_URL",
			      cfg->store_endpoint, "rpvault.conf [store] endpoint", &src);
	char def[RP_S3_ENDPOINT_MAX + 1];
	if (ep == NULL) {
		(void)snprintf(def, sizeof def, "https://s3.%s.amazonaws.com", set->region);
		ep = def;
		src = "the default";
	}
	if (endpoint_set(set, ep, src, err) != 0)
		return -1;
	if (strncmp(set->endpoint, "http://", 7) == 0 && !set->allow_http)
		return rp_err_set(err, RP_E_USAGE,
				  "endpoint uses http:// without allow_http (%s from %s; pass --allow-http or set "
				  "[store] allow_http = true)",
				  set->endpoint, src);

	const char *ca = pick(fl->ca_file, "--ca-file", env("AWS_CA_BUNDLE"), "AWS_CA_BUNDLE", cfg->store_ca_file,
			      "rpvault.conf [store] ca_file", &src);
	if (ca != NULL) {
		struct stat st;
		if (strlen(ca) >= sizeof set->ca_file || has_ctl(ca))
			return rp_err_set(err, RP_E_USAGE, "CA file name from %s is too long or has a control character", src);
		if (stat(ca, &st) != 0)
			return rp_err_set(err, RP_E_USAGE, "CA file %s (from %s): %s", ca, src, strerror(errno));
		if (!S_ISREG(st.st_mode))
			return rp_err_set(err, RP_E_USAGE, "CA file %s (from %s): not a regular file", ca, src);
		memcpy(set->ca_file, ca, strlen(ca) + 1);
	}
	return tuning(set, err);
}

/* Virtual-hosted style puts the bucket in the host name: it needs a DNS
 * name and a Host that fits the signer. */
static int host_check(const rp_s3_settings *set, rp_err *err)
{
	const char *h = endpoint_host(set->endpoint);
	size_t hn = strlen(h);
	if (set->path_style)
		return hn <= RP_SIGV4_HOST_MAX
			       ? 0
			       : rp_err_set(err, RP_E_USAGE, "endpoint host is longer than %d bytes", RP_SIGV4_HOST_MAX);
	size_t name = strcspn(h, ":");
	int ip = h[0] == '[';
	if (!ip) {
		ip = 1;
		for (size_t i = 0; i < name; i++)
			if ((h[i] < '0' || h[i] > '9') && h[i] != '.')
				ip = 0;
	}
	if (ip)
		return rp_err_set(err, RP_E_USAGE,
				  "endpoint %s is an IP address: virtual-hosted addressing needs a host name (set "
				  "--path-style or [store] path_style = true)",
				  set->endpoint);
	if (strlen(set->bucket) + 1 + hn > RP_SIGV4_HOST_MAX)
		return rp_err_set(err, RP_E_USAGE, "bucket + endpoint host is longer than %d bytes", RP_SIGV4_HOST_MAX);
	return 0;
}

/* ---- credentials ------------------------------------------------------------------ */

/* A credential value: printable ASCII without space, 1..max bytes. The
 * message names the field, never the value. */
static int cred_copy(char *dst, size_t dstsz, const char *v, size_t n, const char *field, const char *where,
		     rp_err *err)
{
	if (n == 0)
		return rp_err_set(err, RP_E_USAGE, "%s: %s is empty", where, field);
	if (n >= dstsz)
		return rp_err_set(err, RP_E_USAGE, "%s: %s is longer than %zu bytes", where, field, dstsz - 1);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)v[i] <= 0x20 || (unsigned char)v[i] >= 0x7f)
			return rp_err_set(err, RP_E_USAGE, "%s: %s contains a byte that is not printable ASCII", where,
					  field);
	memcpy(dst, v, n);
	dst[n] = '\0';
	return 0;
}

static int creds_from_env(rp_s3_settings *set, rp_s3_creds *c, rp_err *err)
{
	const char *ak = env("AWS_ACCESS_KEY_ID"), *sk = env("AWS_SECRET_ACCESS_KEY");
	const char *tk = env("AWS_SESSION_TOKEN");
	if (sk == NULL)
		return rp_err_set(err, RP_E_USAGE, "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
	if (ak == NULL)
		return rp_err_set(err, RP_E_USAGE, "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not");
	if (cred_copy(c->access_key, sizeof c->access_key, ak, strlen(ak), "AWS_ACCESS_KEY_ID", "environment",
		      err) != 0 ||
	    cred_copy(c->secret, sizeof c->secret, sk, strlen(sk), "AWS_SECRET_ACCESS_KEY", "environment", err) != 0 ||
	    (tk != NULL && cred_copy(c->token, sizeof c->token, tk, strlen(tk), "AWS_SESSION_TOKEN", "environment",
				     err) != 0))
		return -1;
	(void)snprintf(set->credentials_source, sizeof set->credentials_source, "environment");
	return 0;
}

static void trim(const char **s, size_t *n)
{
	while (*n > 0 && (**s == ' ' || **s == '\t' || **s == '\r'))
		(*s)++, (*n)--;
	while (*n > 0 && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t' || (*s)[*n - 1] == '\r'))
		(*n)--;
}

/* The AWS shared credentials format: "[profile]" sections of
 * "key = value" lines, '#' and ';' comments. Only the three credential
 * keys of the chosen profile are read; other keys and profiles are
 * skipped (the file is shared with other tools). found: the profile's
 * section header was seen. */
static int creds_parse(const char *text, size_t len, const char *profile, const char *where, rp_s3_creds *c,
		       int *found, rp_err *err)
{
	size_t pl = strlen(profile), pos = 0;
	unsigned line = 0;
	int in = 0;
	*found = 0;
	if (memchr(text, '\0', len) != NULL)
		return rp_err_set(err, RP_E_USAGE, "%s: contains a NUL byte", where);
	while (pos < len) {
		const char *s = text + pos;
		const char *nl = memchr(s, '\n', len - pos);
		size_t n = nl != NULL ? (size_t)(nl - s) : len - pos;
		pos += n + 1;
		line++;
		trim(&s, &n);
		if (n == 0 || s[0] == '#' || s[0] == ';')
			continue;
		if (s[0] == '[') {
			if (s[n - 1] != ']')
				return rp_err_set(err, RP_E_USAGE, "%s:%u: malformed section header", where, line);
			const char *name = s + 1;
			size_t nn = n - 2;
			trim(&name, &nn);
			in = nn == pl && memcmp(name, profile, pl) == 0;
			*found |= in;
			continue;
		}
		if (!in)
			continue;
		const char *eq = memchr(s, '=', n);
		if (eq == NULL)
			return rp_err_set(err, RP_E_USAGE, "%s:%u: expected key = value", where, line);
		const char *k = s, *v = eq + 1;
		size_t kn = (size_t)(eq - s), vn = n - kn - 1;
		trim(&k, &kn);
		trim(&v, &vn);
		char field[96];
		(void)snprintf(field, sizeof field, "line %u: %.*s", line, (int)(kn < 40 ? kn : 40), k);
		int rc = 0;
		if (kn == 17 && memcmp(k, "aws_access_key_id", 17) == 0)
			rc = cred_copy(c->access_key, sizeof c->access_key, v, vn, field, where, err);
		else if (kn == 21 && memcmp(k, "aws_secret_access_key", 21) == 0)
			rc = cred_copy(c->secret, sizeof c->secret, v, vn, field, where, err);
		else if (kn == 17 && memcmp(k, "aws_session_token", 17) == 0)
			rc = cred_copy(c->token, sizeof c->token, v, vn, field, where, err);
		if (rc != 0)
			return -1;
	}
	return 0;
}

/* Opens and reads the credentials file under the rules of the header:
 * no symlink, a regular file of the caller, mode & 077 == 0, <= 64 KiB.
 * buf has CREDS_FILE_MAX + 1 bytes; the caller wipes it. */
static int creds_read(const char *path, const char *src, char *buf, size_t *len, rp_err *err)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ELOOP)
			return rp_err_set(err, RP_E_USAGE,
					  "credentials file %s (from %s) is a symbolic link: refused, name the file itself",
					  path, src);
		return rp_err_set(err, RP_E_USAGE, "cannot open credentials file %s (from %s): %s", path, src,
				  strerror(errno));
	}
	struct stat st;
	int rc = -1;
	if (fstat(fd, &st) != 0)
		(void)rp_err_set(err, RP_E_USAGE, "credentials file %s: %s", path, strerror(errno));
	else if (!S_ISREG(st.st_mode))
		(void)rp_err_set(err, RP_E_USAGE, "credentials file %s (from %s) is not a regular file", path, src);
	else if (st.st_uid != geteuid())
		(void)rp_err_set(err, RP_E_USAGE, "credentials file %s is owned by uid %lu, not by the caller (uid %lu)",
				 path, (unsigned long)st.st_uid, (unsigned long)geteuid());
	else if ((st.st_mode & 077) != 0)
		(void)rp_err_set(err, RP_E_USAGE,
				 "credentials file %s: mode %04o, must not be readable by group or others (chmod 600)", path,
				 (unsigned)(st.st_mode & 07777));
	else
		rc = 0;
	*len = 0;
	while (rc == 0) {
		ssize_t n = read(fd, buf + *len, CREDS_FILE_MAX + 1 - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = rp_err_set(err, RP_E_USAGE, "cannot read credentials file %s: %s", path, strerror(errno));
			break;
		}
		if (n == 0)
			break;
		*len += (size_t)n;
		if (*len > CREDS_FILE_MAX)
			rc = rp_err_set(err, RP_E_USAGE, "credentials file %s is larger than %d bytes", path, CREDS_FILE_MAX);
	}
	(void)close(fd);
	return rc;
}

static int profile_name(char out[PROFILE_MAX + 1], rp_err *err)
{
	const char *p = env("AWS_PROFILE");
	if (p == NULL)
		p = "default";
	size_t n = strlen(p);
	int ok = n <= PROFILE_MAX;
	for (size_t i = 0; ok && i < n; i++)
		ok = (unsigned char)p[i] > 0x20 && (unsigned char)p[i] < 0x7f && p[i] != '[' && p[i] != ']';
	if (!ok)
		return rp_err_set(err, RP_E_USAGE, "AWS_PROFILE must be 1 to %d printable characters without space or []",
				  PROFILE_MAX);
	memcpy(out, p, n + 1);
	return 0;
}

static int creds_from_file(const char *path, const char *src, rp_s3_settings *set, rp_s3_creds *c, rp_err *err)
{
	static char buf[CREDS_FILE_MAX + 1]; /* one broker thread; wiped below */
	char profile[PROFILE_MAX + 1], where[RP_MAX_PATH_TOTAL + 32];
	size_t len = 0;
	int found = 0;
	if (profile_name(profile, err) != 0)
		return -1;
	if (strlen(path) > RP_MAX_PATH_TOTAL || has_ctl(path))
		return rp_err_set(err, RP_E_USAGE, "credentials file name from %s is too long or has a control character",
				  src);
	(void)snprintf(where, sizeof where, "credentials file %s", path);
	int rc = creds_read(path, src, buf, &len, err);
	if (rc == 0)
		rc = creds_parse(buf, len, profile, where, c, &found, err);
	explicit_bzero(buf, len < sizeof buf ? len + 1 : sizeof buf);
	if (rc != 0)
		return -1;
	if (!found)
		return rp_err_set(err, RP_E_USAGE, "%s has no profile [%s]", where, profile);
	if (c->access_key[0] == '\0')
		return rp_err_set(err, RP_E_USAGE, "%s: profile [%s] has no aws_access_key_id", where, profile);
	if (c->secret[0] == '\0')
		return rp_err_set(err, RP_E_USAGE, "%s: profile [%s] has no aws_secret_access_key", where, profile);
	int n = snprintf(set->credentials_source, sizeof set->credentials_source, "file %s profile %s", path, profile);
	if (n < 0 || (size_t)n >= sizeof set->credentials_source)
		(void)snprintf(set->credentials_source, sizeof set->credentials_source, "file (name too long)");
	return 0;
}

/* Which credentials: --credentials-file first (an explicit choice), then
 * the environment's keys, then the file named by the environment, the
 * configuration, or ~/.aws/credentials. */
static int credentials(const rp_s3_flags *fl, const rp_config *cfg, rp_s3_settings *set, rp_s3_creds *c,
		       rp_err *err)
{
	if (fl->credentials_file != NULL && fl->credentials_file[0] != '\0')
		return creds_from_file(fl->credentials_file, "--credentials-file", set, c, err);
	if (env("AWS_ACCESS_KEY_ID") != NULL || env("AWS_SECRET_ACCESS_KEY") != NULL)
		return creds_from_env(set, c, err);
	const char *src = NULL;
	const char *path = pick(NULL, NULL, env("AWS_SHARED_CREDENTIALS_FILE"), "AWS_SHARED_CREDENTIALS_FILE",
				cfg->store_credentials_file, "rpvault.conf [store] credentials_file", &src);
	if (path != NULL)
		return creds_from_file(path, src, set, c, err);
	const char *home = env("HOME");
	if (home == NULL || home[0] != '/')
		return rp_err_set(err, RP_E_USAGE,
				  "no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or a credentials "
				  "file (--credentials-file, AWS_SHARED_CREDENTIALS_FILE, [store] credentials_file)");
	char def[RP_MAX_PATH_TOTAL + 1];
	int n = snprintf(def, sizeof def, "%s/.aws/credentials", home);
	if (n < 0 || (size_t)n >= sizeof def)
		return rp_err_set(err, RP_E_USAGE, "HOME is too long");
	/* Nothing named anywhere and no default file: say what is missing
	 * rather than "cannot open ~/.aws/credentials". */
	if (access(def, F_OK) != 0 && errno == ENOENT)
		return rp_err_set(err, RP_E_USAGE,
				  "no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or a credentials "
				  "file (--credentials-file, AWS_SHARED_CREDENTIALS_FILE, [store] credentials_file, %s)",
				  def);
	return creds_from_file(def, "the default", set, c, err);
}

int rp_s3_resolve(const char *uri, const rp_s3_flags *flags, const rp_config *cfg, rp_s3_settings *set,
		  rp_s3_creds *creds, rp_err *err)
{
	static const rp_s3_flags none = { NULL, NULL, -1, -1, NULL, NULL };
	rp_config empty;
	if (flags == NULL)
		flags = &none;
	if (cfg == NULL) {
		rp_config_init(&empty);
		cfg = &empty;
	}
	memset(set, 0, sizeof *set);
	rp_s3_creds_wipe(creds);
	if (uri == NULL || uri_parse(uri, set, err) != 0 || settings(flags, cfg, set, err) != 0 ||
	    bucket_check(set->bucket, set->path_style, err) != 0 || host_check(set, err) != 0 ||
	    credentials(flags, cfg, set, creds, err) != 0) {
		if (uri == NULL)
			(void)rp_err_set(err, RP_E_USAGE, "no store URI");
		rp_s3_creds_wipe(creds);
		return -1;
	}
	return 0;
}
