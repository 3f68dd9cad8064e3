/* The `up` and `down` scripts: run with /bin/sh, the interface in the environment. */
#pragma once

struct invpnd;

#define SCRIPT_TIMEOUT_MS 30000

/**
 * Run command (a shell command line) with INTERFACE, MAC and MTU set, and
 * wait for it (at most SCRIPT_TIMEOUT_MS, then it is killed). what names it
 * in logs ("up", "down"). Returns its exit status, or -errno.
 */
int script_run(struct invpnd *d, const char *what, const char *command);
