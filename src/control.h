/*
 * The control socket: a UNIX stream socket (mode 0660, bound under a umask in
 * a directory only root or the daemon can write), one request per line, one
 * JSON reply per request (ctl_proto.h). Clients are checked by SO_PEERCRED:
 * root, the daemon's user, or a member of the socket's group. Many clients
 * at once; when CONTROL_MAX_CLIENTS are connected, the one idle the longest
 * makes room for a new one; a slow or dead client never blocks the daemon.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "proto.h"

struct invpnd;

#define CONTROL_MAX_CLIENTS 64
#define CONTROL_MAX_OUTPUT (8 * 1024 * 1024)
#define CONTROL_IDLE_MS 60000
#define CONTROL_STALL_MS 10000

/** Create the socket (and its directory). 0, or -errno with the message in err. */
int control_open(struct invpnd *d, char *err, size_t errlen);
/** The listening socket's fd (kept across a re-exec), or -1. */
int control_fd(const struct invpnd *d);
/** Close every client and remove the socket. */
void control_close(struct invpnd *d);
/** Once a second: drop idle and stalled clients. */
void control_tick(struct invpnd *d, uint64_t now_ms);
/** Free clients closed during the round. */
void control_after_round(struct invpnd *d);
