/*
 * path.c - canonical relative path checks (see path.h).
 *
 * Security posture: linear scan of untrusted bytes, no allocation, no
 * dependence on locale.
 */
#include "path.h"

#include <stdio.h>
#include <string.h>

#include "limits.h"
#include "utf8.h"

rp_path_status rp_path_check(const char *p, size_t len)
{
	if (len == 0)
		return RP_PATH_EMPTY;
	if (p[0] == '/')
		return RP_PATH_ABSOLUTE;
	/* Traversal is reported before the other forms so that "../x" gets
	 * Decision Gate's own message. */
	size_t start = 0;
	rp_path_status other = RP_PATH_OK;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && p[i] != '/') {
			unsigned char c = (unsigned char)p[i];
			if (c == '\\' && other == RP_PATH_OK)
				other = RP_PATH_BACKSLASH;
			if ((c < 0x20 || c == 0x7f) && other == RP_PATH_OK)
				other = RP_PATH_CONTROL;
			continue;
		}
		size_t seg = i - start;
		if (seg == 2 && p[start] == '.' && p[start + 1] == '.')
			return RP_PATH_TRAVERSAL;
		if (other == RP_PATH_OK) {
			if (seg == 0)
				other = RP_PATH_EMPTY_SEGMENT;
			else if (seg == 1 && p[start] == '.')
				other = RP_PATH_DOT;
			else if (seg > RP_MAX_PATH_COMPONENT)
				other = RP_PATH_SEGMENT_TOO_LONG;
		}
		start = i + 1;
	}
	if (other != RP_PATH_OK)
		return other;
	if (len > RP_MAX_PATH_TOTAL)
		return RP_PATH_TOO_LONG;
	return RP_PATH_OK;
}

const char *rp_path_reason(rp_path_status st)
{
	switch (st) {
	case RP_PATH_OK: return "ok";
	case RP_PATH_EMPTY: return "path must be set";
	case RP_PATH_ABSOLUTE: return "absolute artifact path not allowed";
	case RP_PATH_TRAVERSAL: return "artifact path escapes runpack root";
	case RP_PATH_DOT: return "non-canonical artifact path: '.' component";
	case RP_PATH_EMPTY_SEGMENT: return "non-canonical artifact path: empty component";
	case RP_PATH_BACKSLASH: return "non-canonical artifact path: backslash";
	case RP_PATH_CONTROL: return "non-canonical artifact path: control character";
	case RP_PATH_TOO_LONG: return "runpack path exceeds limit";
	case RP_PATH_SEGMENT_TOO_LONG: return "runpack path component too long";
	}
	return "invalid path";
}

int rp_path_validate(const char *p, size_t len, const char *what, rp_err *err)
{
	rp_path_status st = rp_path_check(p, len);
	if (st == RP_PATH_OK)
		return 0;
	char shown[300];
	return rp_err_set(err, RP_E_PATH, "%s '%s': %s", what, rp_printable(p, len, shown, sizeof shown),
			  rp_path_reason(st));
}

static char *clean_text(const char *p, size_t len, char *out, size_t outsz, int escape_controls);

char *rp_printable(const char *p, size_t len, char *out, size_t outsz)
{
	return clean_text(p, len, out, outsz, 1);
}

char *rp_utf8_clean(const char *p, size_t len, char *out, size_t outsz)
{
	return clean_text(p, len, out, outsz, 0);
}

static char *clean_text(const char *p, size_t len, char *out, size_t outsz, int escape_controls)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	if (outsz == 0)
		return out;
	const unsigned char *s = (const unsigned char *)p;
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t k = rp_utf8_decode(s + i, len - i, &cp);
		int escape = (k == 0) || (escape_controls && k == 1 && (s[i] < 0x20 || s[i] == 0x7f)) ||
			     (k == 1 && s[i] == 0);
		size_t w = escape ? 4 : k;
		if (o + w + 4 > outsz) {
			if (o + 4 <= outsz) {
				memcpy(out + o, "...", 3);
				o += 3;
			}
			break;
		}
		if (escape) {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[s[i] >> 4];
			out[o++] = hex[s[i] & 15];
			i++;
		} else {
			memcpy(out + o, s + i, k);
			o += k;
			i += k;
		}
	}
	out[o] = '\0';
	return out;
}
