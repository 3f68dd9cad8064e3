/* Keeps at least min_links links: dials candidates from the node directory. */
#pragma once

struct invpnd;

/** Check within about 200 ms (after a link came or went, or an address was learned). */
void autoconnect_soon(struct invpnd *d);
/** Check now, and re-arm the periodic check. */
void autoconnect_run(struct invpnd *d);
