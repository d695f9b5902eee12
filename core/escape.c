#include "escape.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Length of the valid UTF-8 character at p (up to n bytes), 0 when the bytes
 * are not one, -1 when they may be one but n is too short to tell. Overlong
 * forms, surrogates and code points past U+10FFFF are not valid. */
static int utf8_len(const unsigned char *p, size_t n, uint32_t *cp)
{
	unsigned char c = p[0];
	int need;
	uint32_t v;
	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if (c >= 0xc2 && c <= 0xdf) {
		need = 2;
		v = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 3;
		v = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 4;
		v = c & 0x07;
	} else {
		return 0;
	}
	for (int i = 1; i < need; i++) {
		if ((size_t)i >= n)
			return -1;
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (p[i] & 0x3f);
	}
	if ((need == 3 && (v < 0x800 || (v >= 0xd800 && v <= 0xdfff))) ||
	    (need == 4 && (v < 0x10000 || v > 0x10ffff)))
		return 0;
	*cp = v;
	return need;
}

size_t dome_escape(const char *in, size_t len, bool final, unsigned flags, char *out,
		   size_t cap, size_t *outlen)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t i = 0, o = 0;
	bool keep_lines = flags & DOME_ESC_KEEP_LINES;
	while (i < len) {
		char piece[16];
		size_t plen, step = 1;
		uint32_t cp = 0;
		int n = utf8_len(p + i, len - i, &cp);
		if (n < 0 && !final)
			break; /* the rest of the character is in the next chunk */
		if (keep_lines && p[i] == '\r' && i + 1 == len && !final)
			break; /* a newline may follow */
		if (n > 0 && cp >= 0x20 && cp != 0x7f && !(cp >= 0x80 && cp < 0xa0)) {
			memcpy(piece, p + i, (size_t)n);
			plen = step = (size_t)n;
		} else if (keep_lines && (p[i] == '\n' || p[i] == '\t')) {
			piece[0] = (char)p[i];
			plen = 1;
		} else if (keep_lines && p[i] == '\r' && i + 1 < len && p[i + 1] == '\n') {
			piece[0] = '\n'; /* CR LF, as a console writes lines */
			plen = 1;
			step = 2;
		} else if (p[i] == '\n' || p[i] == '\r' || p[i] == '\t' || p[i] == 0x1b) {
			piece[0] = '\\';
			piece[1] = p[i] == '\n' ? 'n' : p[i] == '\r' ? 'r' : p[i] == '\t' ? 't' : 'e';
			plen = 2;
		} else {
			/* a C1 control is shown as its bytes, each escaped */
			size_t bytes = n > 0 ? (size_t)n : 1;
			plen = 0;
			for (size_t b = 0; b < bytes; b++)
				plen += (size_t)snprintf(piece + plen, sizeof piece - plen, "\\x%02x", p[i + b]);
			step = bytes;
		}
		if (o + plen + 1 > cap)
			break;
		memcpy(out + o, piece, plen);
		o += plen;
		i += step;
	}
	out[o] = '\0';
	if (outlen)
		*outlen = o;
	return i;
}

const char *dome_escape_str(const char *s, char *out, size_t cap)
{
	size_t len = strlen(s), olen;
	if (cap < 8) {
		if (cap)
			out[0] = '\0';
		return out;
	}
	/* Room kept for "..." so a cut never splits a character. */
	size_t used = dome_escape(s, len, true, 0, out, cap - 3, &olen);
	if (used < len)
		memcpy(out + olen, "...", 4);
	return out;
}
