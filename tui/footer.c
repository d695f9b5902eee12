/* The function bar, htop style: "F1Help F3Filter ..." from the key table. */
#include "tui.h"

#include <curses.h>
#include <string.h>

void tui_footer_draw(struct tui *t, int y)
{
	move(y, 0);
	for (size_t i = 0; i < tui_nkeys; i++) {
		const struct tui_key *k = &tui_keys[i];
		if (!k->fkey)
			continue;
		if (t->readonly && k->mutating)
			continue; /* read-only: only what can be used is offered */
		int need = (int)(strlen(k->fkey) + strlen(k->label)) + 1;
		if (getcurx(stdscr) + need >= COLS)
			break;
		attrset(tui_attr(t, TUI_KEY));
		addstr(k->fkey);
		attrset(tui_attr(t, TUI_KEY_LABEL));
		printw("%s ", k->label);
	}
	attrset(tui_attr(t, TUI_KEY_LABEL));
	for (int x = getcurx(stdscr); x < COLS && getcury(stdscr) == y; x++)
		addch(' ');
	attrset(A_NORMAL);
}
