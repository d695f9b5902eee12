/* Showing bytes that came from outside dome (a container's console, an
 * archive's member names, a file, a user's argument) on a terminal. A
 * terminal acts on control characters: ESC sequences retitle, clear or
 * reprogram it, CR and BS overwrite what was shown, a C1 byte (0x9b is CSI)
 * starts a sequence on some. One rule, used at every place dome prints or
 * draws such text (the CLI's stdout and stderr, error messages, the
 * console's log view, dialogs and status line):
 *
 *   - printable ASCII and valid UTF-8 (but U+0080..U+009F) pass unchanged;
 *   - newline and tab pass only with DOME_ESC_KEEP_LINES (a log's lines), and
 *     there a CR right before a newline (a console's CR LF) is dropped;
 *   - everything else is shown escaped: \n \r \t \e, or \xNN for any other
 *     control byte, DEL, a C1 control (as its UTF-8 bytes) or a byte that is
 *     not valid UTF-8.
 *
 * A backslash itself passes, so text a user types reads as typed. */
#ifndef DOME_ESCAPE_H
#define DOME_ESCAPE_H

#include <stdbool.h>
#include <stddef.h>

enum { DOME_ESC_KEEP_LINES = 1 };

/* Escape in[0..len) into out (cap >= 16 bytes, always NUL-terminated, the
 * length in *outlen). Returns the input bytes consumed: fewer than len when
 * out is full, or when !final and the input ends with what may be the start
 * of a longer sequence (part of a UTF-8 character, a CR whose newline may
 * follow); the caller passes those again with the next chunk. */
size_t dome_escape(const char *in, size_t len, bool final, unsigned flags, char *out,
		   size_t cap, size_t *outlen);

/* A whole NUL-terminated string, every control character escaped
 * (newlines too); cut to fit `cap` (at least 8; ending "..." when cut). Returns out. */
const char *dome_escape_str(const char *s, char *out, size_t cap);

#endif
